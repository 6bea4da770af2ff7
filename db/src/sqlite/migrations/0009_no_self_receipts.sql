-- Nobody is a listener of their own message: receipts that authors left before that rule
-- (playing or reading what they wrote themselves) go, so no query needs to hide them.

DELETE FROM seen
WHERE EXISTS (SELECT 1 FROM clips WHERE clips.id = seen.message_id AND clips.owner_id = seen.user_id)
   OR EXISTS (SELECT 1 FROM replies WHERE replies.id = seen.message_id AND replies.author_id = seen.user_id);
