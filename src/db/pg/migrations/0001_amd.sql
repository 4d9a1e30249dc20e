ALTER TABLE "call_logs" ADD COLUMN "amd_verdict" text;--> statement-breakpoint
ALTER TABLE "call_logs" ADD COLUMN "amd_ms" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "amd" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "amd_machine_action" text DEFAULT 'hangup' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "amd_voice_code" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "amd_thresholds" text;