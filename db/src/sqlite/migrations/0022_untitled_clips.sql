-- An untitled clip is stored without a title (shown as "Untitled clip") until its transcript
-- gives it its first words.
UPDATE clips SET title = '' WHERE title = 'Untitled clip';
