CREATE TABLE "api_accounts" (
	"id" serial PRIMARY KEY NOT NULL,
	"account" text NOT NULL,
	"secret" text NOT NULL,
	"status" integer DEFAULT 1 NOT NULL,
	"expires_at" bigint,
	"ip_allowlist" text DEFAULT '' NOT NULL,
	"sign_mode" text DEFAULT 'spec' NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "api_accounts_account_unique" UNIQUE("account")
);
--> statement-breakpoint
CREATE TABLE "call_list_numbers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"call_list_id" integer NOT NULL,
	"phone" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "call_lists" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "call_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"call_uuid" text NOT NULL,
	"task_id" integer,
	"project_id" integer,
	"call_task_code" text,
	"direction" text DEFAULT 'outbound' NOT NULL,
	"caller_id_number" text,
	"destination_number" text NOT NULL,
	"gateway_id" integer,
	"start_timestamp" bigint,
	"answer_timestamp" bigint,
	"end_timestamp" bigint,
	"duration" integer,
	"billsec" integer,
	"hangup_cause" text,
	"sip_term_status" text,
	"hangup_disposition" text,
	"record_file" text,
	"record_file_qiniu" text,
	"price_rule" text,
	"price_cal" numeric,
	"result" integer,
	"result_detail" integer,
	"evaluation" integer,
	"cdr_received" integer DEFAULT 0 NOT NULL,
	"skip_reason" text,
	"abandoned" integer,
	"agent_wait_ms" integer,
	"add_time" bigint NOT NULL,
	"update_time" bigint NOT NULL,
	CONSTRAINT "call_logs_call_uuid_unique" UNIQUE("call_uuid")
);
--> statement-breakpoint
CREATE TABLE "dnc_numbers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"project_code" text DEFAULT '' NOT NULL,
	"phone" text NOT NULL,
	"note" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "extensions" (
	"id" serial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"node_id" integer NOT NULL,
	"password" text NOT NULL,
	"type" integer NOT NULL,
	"project_id" integer,
	"work_status" integer DEFAULT 0 NOT NULL,
	"reg_status" integer DEFAULT 0 NOT NULL,
	"claimed_at" bigint,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fs_nodes" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"esl_host" text NOT NULL,
	"esl_port" integer NOT NULL,
	"esl_password" text NOT NULL,
	"wss_url" text NOT NULL,
	"native_address" text NOT NULL,
	"sip_domain" text NOT NULL,
	"max_sessions" integer NOT NULL,
	"sessions_per_second" integer NOT NULL,
	"weight" integer DEFAULT 1 NOT NULL,
	"status" integer DEFAULT 1 NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "fs_nodes_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "gateways" (
	"id" serial PRIMARY KEY NOT NULL,
	"gw_code" text NOT NULL,
	"gw_name" text NOT NULL,
	"register_type" integer NOT NULL,
	"origination_call_id" text,
	"codec" text,
	"mobile_phone_prefix" text,
	"fixed_phone_prefix" text,
	"realm" text NOT NULL,
	"username" text,
	"password" text,
	"remark" text,
	"call_limit" integer,
	"bill_type" integer,
	"billsec" integer,
	"price_fen" numeric,
	"status" integer NOT NULL,
	"expect_count" integer,
	"return_visit" integer NOT NULL,
	"account_balance_fen" numeric,
	"recharged_amount_fen" numeric,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "gateways_gw_code_unique" UNIQUE("gw_code")
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" serial PRIMARY KEY NOT NULL,
	"project_code" text NOT NULL,
	"seats" integer NOT NULL,
	"node_id" integer NOT NULL,
	"certificate" text NOT NULL,
	"manager_certificate" text,
	"status" integer DEFAULT 1 NOT NULL,
	"finished_at" bigint,
	"default_gateway_id" integer,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "projects_certificate_unique" UNIQUE("certificate"),
	CONSTRAINT "projects_manager_certificate_unique" UNIQUE("manager_certificate")
);
--> statement-breakpoint
CREATE TABLE "task_gateways" (
	"task_id" integer NOT NULL,
	"gateway_id" integer NOT NULL,
	"concurrency" integer NOT NULL,
	CONSTRAINT "task_gateways_task_id_gateway_id_pk" PRIMARY KEY("task_id","gateway_id")
);
--> statement-breakpoint
CREATE TABLE "task_numbers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_id" integer NOT NULL,
	"phone" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"assigned_to" text,
	"call_uuid" text,
	"result_detail" integer,
	"note" text,
	"agent_misses" integer DEFAULT 0 NOT NULL,
	"retries" integer DEFAULT 0 NOT NULL,
	"retry_at" bigint,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" serial PRIMARY KEY NOT NULL,
	"call_task_code" text NOT NULL,
	"project_id" integer NOT NULL,
	"schedule_type" integer NOT NULL,
	"call_type" integer NOT NULL,
	"call_list_id" integer,
	"rate" double precision NOT NULL,
	"pacing" text DEFAULT 'fixed' NOT NULL,
	"expired_time" bigint NOT NULL,
	"voice_code" text,
	"original_call_task_code" text,
	"original_result_detail" text,
	"evaluation" integer DEFAULT 0 NOT NULL,
	"status" integer DEFAULT 1 NOT NULL,
	"last_number_id" bigint DEFAULT 0 NOT NULL,
	"started_at" bigint,
	"ended_at" bigint,
	"agent_weight" integer DEFAULT 1 NOT NULL,
	"calling_window" text,
	"retry_rules" text,
	"abandon_target" double precision,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "tasks_call_task_code_unique" UNIQUE("call_task_code")
);
--> statement-breakpoint
CREATE TABLE "uploads" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"call_uuid" text NOT NULL,
	"file_path" text NOT NULL,
	"key" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"last_error" text,
	"done_at" bigint,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "voices" (
	"id" serial PRIMARY KEY NOT NULL,
	"voice_code" text NOT NULL,
	"qiniu_key" text,
	"file_path" text NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "voices_voice_code_unique" UNIQUE("voice_code")
);
--> statement-breakpoint
ALTER TABLE "call_list_numbers" ADD CONSTRAINT "call_list_numbers_call_list_id_call_lists_id_fk" FOREIGN KEY ("call_list_id") REFERENCES "public"."call_lists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_logs" ADD CONSTRAINT "call_logs_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_logs" ADD CONSTRAINT "call_logs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_logs" ADD CONSTRAINT "call_logs_gateway_id_gateways_id_fk" FOREIGN KEY ("gateway_id") REFERENCES "public"."gateways"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extensions" ADD CONSTRAINT "extensions_node_id_fs_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."fs_nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extensions" ADD CONSTRAINT "extensions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_node_id_fs_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."fs_nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_gateways" ADD CONSTRAINT "task_gateways_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_gateways" ADD CONSTRAINT "task_gateways_gateway_id_gateways_id_fk" FOREIGN KEY ("gateway_id") REFERENCES "public"."gateways"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_numbers" ADD CONSTRAINT "task_numbers_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_call_list_id_call_lists_id_fk" FOREIGN KEY ("call_list_id") REFERENCES "public"."call_lists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "call_list_numbers_list_phone" ON "call_list_numbers" USING btree ("call_list_id","phone");--> statement-breakpoint
CREATE INDEX "call_logs_task" ON "call_logs" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "call_logs_project_start" ON "call_logs" USING btree ("project_id","start_timestamp");--> statement-breakpoint
CREATE INDEX "call_logs_end" ON "call_logs" USING btree ("end_timestamp");--> statement-breakpoint
CREATE UNIQUE INDEX "dnc_numbers_scope_phone" ON "dnc_numbers" USING btree ("project_code","phone");--> statement-breakpoint
CREATE INDEX "dnc_numbers_phone" ON "dnc_numbers" USING btree ("phone");--> statement-breakpoint
CREATE UNIQUE INDEX "extensions_node_username" ON "extensions" USING btree ("node_id","username");--> statement-breakpoint
CREATE INDEX "extensions_project" ON "extensions" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "task_numbers_task_phone" ON "task_numbers" USING btree ("task_id","phone");--> statement-breakpoint
CREATE INDEX "task_numbers_task_state" ON "task_numbers" USING btree ("task_id","state","id");--> statement-breakpoint
CREATE INDEX "tasks_project" ON "tasks" USING btree ("project_id");