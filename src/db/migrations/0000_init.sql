CREATE TABLE `api_accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account` text NOT NULL,
	`secret` text NOT NULL,
	`status` integer DEFAULT 1 NOT NULL,
	`expires_at` integer,
	`ip_allowlist` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_accounts_account_unique` ON `api_accounts` (`account`);--> statement-breakpoint
CREATE TABLE `call_list_numbers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_list_id` integer NOT NULL,
	`phone` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`call_list_id`) REFERENCES `call_lists`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `call_list_numbers_list_phone` ON `call_list_numbers` (`call_list_id`,`phone`);--> statement-breakpoint
CREATE TABLE `call_lists` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `call_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_uuid` text NOT NULL,
	`task_id` integer,
	`project_id` integer,
	`call_task_code` text,
	`direction` text DEFAULT 'outbound' NOT NULL,
	`caller_id_number` text,
	`destination_number` text NOT NULL,
	`gateway_id` integer,
	`start_timestamp` integer,
	`answer_timestamp` integer,
	`end_timestamp` integer,
	`duration` integer,
	`billsec` integer,
	`hangup_cause` text,
	`sip_term_status` text,
	`hangup_disposition` text,
	`record_file` text,
	`record_file_qiniu` text,
	`price_rule` text,
	`price_cal` real,
	`result` integer,
	`result_detail` integer,
	`evaluation` integer,
	`cdr_received` integer DEFAULT 0 NOT NULL,
	`add_time` integer NOT NULL,
	`update_time` integer NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`gateway_id`) REFERENCES `gateways`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `call_logs_call_uuid_unique` ON `call_logs` (`call_uuid`);--> statement-breakpoint
CREATE INDEX `call_logs_task` ON `call_logs` (`task_id`);--> statement-breakpoint
CREATE INDEX `call_logs_project_start` ON `call_logs` (`project_id`,`start_timestamp`);--> statement-breakpoint
CREATE INDEX `call_logs_end` ON `call_logs` (`end_timestamp`);--> statement-breakpoint
CREATE TABLE `extensions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username` text NOT NULL,
	`node_id` integer NOT NULL,
	`password` text NOT NULL,
	`type` integer NOT NULL,
	`project_id` integer,
	`work_status` integer DEFAULT 0 NOT NULL,
	`reg_status` integer DEFAULT 0 NOT NULL,
	`claimed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`node_id`) REFERENCES `fs_nodes`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `extensions_node_username` ON `extensions` (`node_id`,`username`);--> statement-breakpoint
CREATE INDEX `extensions_project` ON `extensions` (`project_id`);--> statement-breakpoint
CREATE TABLE `fs_nodes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`esl_host` text NOT NULL,
	`esl_port` integer NOT NULL,
	`esl_password` text NOT NULL,
	`wss_url` text NOT NULL,
	`native_address` text NOT NULL,
	`sip_domain` text NOT NULL,
	`max_sessions` integer NOT NULL,
	`sessions_per_second` integer NOT NULL,
	`weight` integer DEFAULT 1 NOT NULL,
	`status` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fs_nodes_name_unique` ON `fs_nodes` (`name`);--> statement-breakpoint
CREATE TABLE `gateways` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`gw_code` text NOT NULL,
	`gw_name` text NOT NULL,
	`register_type` integer NOT NULL,
	`origination_call_id` text,
	`codec` text,
	`mobile_phone_prefix` text,
	`fixed_phone_prefix` text,
	`realm` text NOT NULL,
	`username` text,
	`password` text,
	`remark` text,
	`call_limit` integer,
	`bill_type` integer,
	`billsec` integer,
	`price_fen` real,
	`status` integer NOT NULL,
	`expect_count` integer,
	`return_visit` integer NOT NULL,
	`account_balance_fen` real,
	`recharged_amount_fen` real,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gateways_gw_code_unique` ON `gateways` (`gw_code`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_code` text NOT NULL,
	`seats` integer NOT NULL,
	`node_id` integer NOT NULL,
	`certificate` text NOT NULL,
	`status` integer DEFAULT 1 NOT NULL,
	`finished_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`node_id`) REFERENCES `fs_nodes`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_certificate_unique` ON `projects` (`certificate`);--> statement-breakpoint
CREATE TABLE `task_gateways` (
	`task_id` integer NOT NULL,
	`gateway_id` integer NOT NULL,
	`concurrency` integer NOT NULL,
	PRIMARY KEY(`task_id`, `gateway_id`),
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`gateway_id`) REFERENCES `gateways`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `task_numbers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` integer NOT NULL,
	`phone` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`assigned_to` text,
	`call_uuid` text,
	`result_detail` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `task_numbers_task_phone` ON `task_numbers` (`task_id`,`phone`);--> statement-breakpoint
CREATE INDEX `task_numbers_task_state` ON `task_numbers` (`task_id`,`state`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_task_code` text NOT NULL,
	`project_id` integer NOT NULL,
	`schedule_type` integer NOT NULL,
	`call_type` integer NOT NULL,
	`call_list_id` integer,
	`rate` real NOT NULL,
	`pacing` text DEFAULT 'fixed' NOT NULL,
	`expired_time` integer NOT NULL,
	`voice_code` text,
	`original_call_task_code` text,
	`original_result_detail` text,
	`evaluation` integer DEFAULT 0 NOT NULL,
	`status` integer DEFAULT 1 NOT NULL,
	`last_number_id` integer DEFAULT 0 NOT NULL,
	`started_at` integer,
	`ended_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`call_list_id`) REFERENCES `call_lists`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_call_task_code_unique` ON `tasks` (`call_task_code`);--> statement-breakpoint
CREATE INDEX `tasks_project` ON `tasks` (`project_id`);--> statement-breakpoint
CREATE TABLE `uploads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_uuid` text NOT NULL,
	`file_path` text NOT NULL,
	`key` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`done_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `voices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`voice_code` text NOT NULL,
	`qiniu_key` text,
	`file_path` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `voices_voice_code_unique` ON `voices` (`voice_code`);