-- A task's call logs counted by (result, result_detail), kept by triggers in the same transaction as every write to
-- call_logs (issue 21): the task's progress (callTaskStatus, and /topic/callTaskStatus every 2 s per running task)
-- read them by scanning the task's logs on the main thread, ~28 ms at 100,000 logs and growing with the campaign.
-- Not in schema.ts: nothing but these triggers writes it, and PostgreSQL (which scans off our thread) has no copy.
-- NULL result / result_detail are counted as -1 so that they take part in the primary key.
CREATE TABLE `task_log_counts` (
	`task_id` integer NOT NULL,
	`result` integer NOT NULL,
	`result_detail` integer NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`task_id`, `result`, `result_detail`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TRIGGER `call_logs_counted_insert` AFTER INSERT ON `call_logs` WHEN NEW.`task_id` IS NOT NULL BEGIN
	INSERT INTO `task_log_counts` (`task_id`, `result`, `result_detail`, `n`)
		VALUES (NEW.`task_id`, coalesce(NEW.`result`, -1), coalesce(NEW.`result_detail`, -1), 1)
		ON CONFLICT (`task_id`, `result`, `result_detail`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `call_logs_counted_delete` AFTER DELETE ON `call_logs` WHEN OLD.`task_id` IS NOT NULL BEGIN
	UPDATE `task_log_counts` SET `n` = `n` - 1
		WHERE `task_id` = OLD.`task_id` AND `result` = coalesce(OLD.`result`, -1)
			AND `result_detail` = coalesce(OLD.`result_detail`, -1);
END;
--> statement-breakpoint
CREATE TRIGGER `call_logs_counted_update` AFTER UPDATE OF `task_id`, `result`, `result_detail` ON `call_logs`
	WHEN OLD.`task_id` IS NOT NEW.`task_id` OR OLD.`result` IS NOT NEW.`result`
		OR OLD.`result_detail` IS NOT NEW.`result_detail` BEGIN
	UPDATE `task_log_counts` SET `n` = `n` - 1
		WHERE OLD.`task_id` IS NOT NULL AND `task_id` = OLD.`task_id` AND `result` = coalesce(OLD.`result`, -1)
			AND `result_detail` = coalesce(OLD.`result_detail`, -1);
	INSERT INTO `task_log_counts` (`task_id`, `result`, `result_detail`, `n`)
		SELECT NEW.`task_id`, coalesce(NEW.`result`, -1), coalesce(NEW.`result_detail`, -1), 1
		WHERE NEW.`task_id` IS NOT NULL
		ON CONFLICT (`task_id`, `result`, `result_detail`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
INSERT INTO `task_log_counts` (`task_id`, `result`, `result_detail`, `n`)
	SELECT `task_id`, coalesce(`result`, -1), coalesce(`result_detail`, -1), count(*) FROM `call_logs`
	WHERE `task_id` IS NOT NULL GROUP BY 1, 2, 3;
