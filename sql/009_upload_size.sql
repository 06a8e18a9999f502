-- 009_upload_size.sql: the largest upload is the upload_max_bytes option
-- (core/file.c checks it), not a number fixed in the schema: a larger
-- configured limit must not end in a failed INSERT.

ALTER TABLE order_files DROP CONSTRAINT order_files_size_check;
ALTER TABLE order_files ADD CONSTRAINT order_files_size_check CHECK (size >= 1);
