ALTER TABLE `call_logs` ADD `amd_verdict` text;--> statement-breakpoint
ALTER TABLE `call_logs` ADD `amd_ms` integer;--> statement-breakpoint
ALTER TABLE `tasks` ADD `amd` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `amd_machine_action` text DEFAULT 'hangup' NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `amd_voice_code` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `amd_thresholds` text;