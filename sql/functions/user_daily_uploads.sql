-- AFTER INSERT on order_files, per statement: the applicants' uploads of
-- the day (user_daily, the upload cap), from the transition table, in the
-- inserting transaction.  Skipped when hall.writer names hall_file_upload,
-- which counted its file itself.
CREATE OR REPLACE FUNCTION user_daily_uploads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_daily AS d (user_id, day, uploads)
        SELECT o.user_id, beijing_day(f.created_at), count(*)
          FROM user_daily_new_files f JOIN orders o ON o.id = f.order_id
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (user_id, day) DO UPDATE SET uploads = d.uploads + excluded.uploads;
    RETURN NULL;
END
$$;
