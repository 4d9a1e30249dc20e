CREATE TABLE "capacity_claims" (
	"resource" text NOT NULL,
	"instance_id" text NOT NULL,
	"amount" integer NOT NULL,
	"expires_at" bigint NOT NULL,
	CONSTRAINT "capacity_claims_resource_instance_id_pk" PRIMARY KEY("resource","instance_id")
);
--> statement-breakpoint
CREATE TABLE "cluster_instances" (
	"id" text PRIMARY KEY NOT NULL,
	"seen_at" bigint NOT NULL,
	"load" integer DEFAULT 0 NOT NULL,
	"socket_at" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "project_leases" (
	"project_code" text PRIMARY KEY NOT NULL,
	"owner" text,
	"epoch" integer DEFAULT 0 NOT NULL,
	"expires_at" bigint NOT NULL,
	"move_to" text
);
--> statement-breakpoint
ALTER TABLE "task_numbers" ADD COLUMN "epoch" integer DEFAULT 0 NOT NULL;