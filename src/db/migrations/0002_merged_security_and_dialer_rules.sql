CREATE TABLE `dnc_numbers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_code` text DEFAULT '' NOT NULL,
	`phone` text NOT NULL,
	`note` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dnc_numbers_scope_phone` ON `dnc_numbers` (`project_code`,`phone`);--> statement-breakpoint
CREATE INDEX `dnc_numbers_phone` ON `dnc_numbers` (`phone`);--> statement-breakpoint
ALTER TABLE `api_accounts` ADD `sign_mode` text DEFAULT 'spec' NOT NULL;--> statement-breakpoint
ALTER TABLE `call_logs` ADD `skip_reason` text;--> statement-breakpoint
ALTER TABLE `call_logs` ADD `abandoned` integer;--> statement-breakpoint
ALTER TABLE `call_logs` ADD `agent_wait_ms` integer;--> statement-breakpoint
ALTER TABLE `projects` ADD `manager_certificate` text;--> statement-breakpoint
CREATE UNIQUE INDEX `projects_manager_certificate_unique` ON `projects` (`manager_certificate`);--> statement-breakpoint
ALTER TABLE `task_numbers` ADD `agent_misses` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `task_numbers` ADD `retries` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `task_numbers` ADD `retry_at` integer;--> statement-breakpoint
ALTER TABLE `tasks` ADD `agent_weight` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `calling_window` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `retry_rules` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `abandon_target` real;