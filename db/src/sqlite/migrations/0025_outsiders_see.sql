-- What outsiders (come through a clip's link) see of its thread: 'message' (the message, its
-- owner's and guests' replies) or 'thread' (every reply).
ALTER TABLE clips ADD COLUMN outsiders_see TEXT NOT NULL DEFAULT 'message' CHECK (outsiders_see IN ('message', 'thread'));
