-- A claimed job is leased to one worker of one process, which renews the lease while it works;
-- once a lease runs out (its process died), any worker takes the job over. Jobs left running
-- before leases existed count as run out.
ALTER TABLE transcript_jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE transcript_jobs ADD COLUMN lease_expires_at TEXT;
UPDATE transcript_jobs SET lease_expires_at = '' WHERE state = 'running';
