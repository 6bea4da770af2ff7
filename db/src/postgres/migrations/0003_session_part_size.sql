-- The size of a session's multipart parts, fixed when its multipart upload starts (every part
-- but the last has it), so a later change of the configured size cannot misplace the rest.
ALTER TABLE upload_sessions ADD COLUMN multipart_part_size BIGINT;
