-- the daily upload cap's count of new files: sql/functions/user_daily_uploads.sql
CREATE OR REPLACE TRIGGER user_daily_uploads AFTER INSERT ON order_files
    REFERENCING NEW TABLE AS user_daily_new_files
    FOR EACH STATEMENT
    WHEN (current_setting('hall.writer', true) IS DISTINCT FROM 'hall_file_upload')
    EXECUTE FUNCTION user_daily_uploads();
