-- 144_order_files_stored_name: the object store's sweep asks, for each
-- object, whether a live row of order_files names it (obj_unnamed), and
-- marks the retired rows of an object it removed (files_swept): both by
-- stored_name, which had no index (a scan of the table per batch and per
-- object removed).
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE INDEX order_files_stored_name ON order_files (stored_name);
