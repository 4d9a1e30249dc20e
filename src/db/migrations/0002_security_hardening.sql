ALTER TABLE `api_accounts` ADD `sign_mode` text DEFAULT 'spec' NOT NULL;--> statement-breakpoint
ALTER TABLE `projects` ADD `manager_certificate` text;--> statement-breakpoint
CREATE UNIQUE INDEX `projects_manager_certificate_unique` ON `projects` (`manager_certificate`);