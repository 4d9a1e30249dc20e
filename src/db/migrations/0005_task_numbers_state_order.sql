DROP INDEX `task_numbers_task_state`;--> statement-breakpoint
CREATE INDEX `task_numbers_task_state` ON `task_numbers` (`task_id`,`state`,`id`);