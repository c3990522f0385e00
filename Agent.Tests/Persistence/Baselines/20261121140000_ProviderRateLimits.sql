DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = 'agent') THEN
        CREATE SCHEMA agent;
    END IF;
END $EF$;
CREATE TABLE IF NOT EXISTS agent."__EFMigrationsHistory" (
    "MigrationId" character varying(150) NOT NULL,
    "ProductVersion" character varying(32) NOT NULL,
    CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY ("MigrationId")
);

START TRANSACTION;
DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = 'agent') THEN
        CREATE SCHEMA agent;
    END IF;
END $EF$;

CREATE TABLE agent.assistants (
    assistant_id uuid NOT NULL,
    graph_id character varying(200) NOT NULL,
    name character varying(200) NOT NULL,
    description text,
    config jsonb NOT NULL,
    metadata jsonb NOT NULL,
    version integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_assistants" PRIMARY KEY (assistant_id)
);

CREATE TABLE agent.threads (
    thread_id uuid NOT NULL,
    metadata jsonb NOT NULL,
    status character varying(32) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_threads" PRIMARY KEY (thread_id)
);

CREATE TABLE agent.documents (
    document_id bigint GENERATED ALWAYS AS IDENTITY,
    source character varying(400) NOT NULL,
    title text NOT NULL,
    content_hash character varying(64) NOT NULL,
    ingested_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_documents" PRIMARY KEY (document_id)
);

CREATE TABLE agent.runs (
    run_id uuid NOT NULL,
    thread_id uuid NOT NULL,
    assistant_id uuid NOT NULL,
    status character varying(32) NOT NULL,
    metadata jsonb NOT NULL,
    kwargs jsonb NOT NULL,
    multitask_strategy character varying(32) NOT NULL,
    recursion_limit integer NOT NULL,
    lease_owner character varying(200),
    lease_epoch bigint NOT NULL,
    lease_expires_at timestamp with time zone,
    attempt integer NOT NULL,
    step_count integer NOT NULL,
    last_event_sequence bigint NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cost_usd numeric(18,8) NOT NULL,
    error jsonb,
    cancel_action character varying(32),
    delete_thread_on_completion boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    ended_at timestamp with time zone,
    CONSTRAINT "PK_runs" PRIMARY KEY (run_id),
    CONSTRAINT "FK_runs_assistants_assistant_id" FOREIGN KEY (assistant_id) REFERENCES agent.assistants (assistant_id) ON DELETE RESTRICT,
    CONSTRAINT "FK_runs_threads_thread_id" FOREIGN KEY (thread_id) REFERENCES agent.threads (thread_id) ON DELETE CASCADE
);

CREATE TABLE agent.chunks (
    chunk_id bigint GENERATED ALWAYS AS IDENTITY,
    document_id bigint NOT NULL,
    ordinal integer NOT NULL,
    heading text NOT NULL,
    content text NOT NULL,
    search_vector tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, heading), 'A') || setweight(to_tsvector('english'::regconfig, content), 'B')) STORED NOT NULL,
    CONSTRAINT "PK_chunks" PRIMARY KEY (chunk_id),
    CONSTRAINT "FK_chunks_documents_document_id" FOREIGN KEY (document_id) REFERENCES agent.documents (document_id) ON DELETE CASCADE
);

CREATE TABLE agent.checkpoints (
    checkpoint_id uuid NOT NULL,
    sequence bigint GENERATED ALWAYS AS IDENTITY,
    thread_id uuid NOT NULL,
    run_id uuid NOT NULL,
    parent_checkpoint_id uuid,
    step integer NOT NULL,
    node character varying(64) NOT NULL,
    delta jsonb NOT NULL,
    metadata jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_checkpoints" PRIMARY KEY (checkpoint_id),
    CONSTRAINT "FK_checkpoints_runs_run_id" FOREIGN KEY (run_id) REFERENCES agent.runs (run_id) ON DELETE CASCADE,
    CONSTRAINT "FK_checkpoints_threads_thread_id" FOREIGN KEY (thread_id) REFERENCES agent.threads (thread_id) ON DELETE CASCADE
);

CREATE TABLE agent.run_events (
    run_id uuid NOT NULL,
    sequence bigint NOT NULL,
    kind character varying(32) NOT NULL,
    data jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_run_events" PRIMARY KEY (run_id, sequence),
    CONSTRAINT "FK_run_events_runs_run_id" FOREIGN KEY (run_id) REFERENCES agent.runs (run_id) ON DELETE CASCADE
);

CREATE INDEX ix_assistants_graph_id ON agent.assistants (graph_id);

CREATE INDEX ix_checkpoints_thread_id_sequence ON agent.checkpoints (thread_id, sequence);

CREATE UNIQUE INDEX ux_checkpoints_run_id_step ON agent.checkpoints (run_id, step);

CREATE INDEX ix_chunks_search_vector ON agent.chunks USING GIN (search_vector);

CREATE UNIQUE INDEX ux_chunks_document_id_ordinal ON agent.chunks (document_id, ordinal);

CREATE UNIQUE INDEX ux_documents_source ON agent.documents (source);

CREATE INDEX ix_runs_assistant_id ON agent.runs (assistant_id);

CREATE INDEX ix_runs_status_lease_expires_at ON agent.runs (status, lease_expires_at);

CREATE INDEX ix_runs_thread_id_created_at ON agent.runs (thread_id, created_at);

INSERT INTO agent."__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261121000000_Initial', '10.0.15');

COMMIT;

START TRANSACTION;
ALTER TABLE agent.runs DROP CONSTRAINT "FK_runs_threads_thread_id";

ALTER TABLE agent.checkpoints DROP CONSTRAINT "FK_checkpoints_threads_thread_id";

ALTER TABLE agent.threads DROP CONSTRAINT "PK_threads";

DROP INDEX agent.ix_runs_thread_id_created_at;

DROP INDEX agent.ix_checkpoints_thread_id_sequence;

DROP INDEX agent.ix_assistants_graph_id;

ALTER TABLE agent.assistants ADD tenant_id character varying(64);

ALTER TABLE agent.threads ADD tenant_id character varying(64) NOT NULL DEFAULT 'default';

ALTER TABLE agent.threads ALTER COLUMN tenant_id DROP DEFAULT;

ALTER TABLE agent.runs ADD tenant_id character varying(64) NOT NULL DEFAULT 'default';

ALTER TABLE agent.runs ALTER COLUMN tenant_id DROP DEFAULT;

ALTER TABLE agent.checkpoints ADD tenant_id character varying(64) NOT NULL DEFAULT 'default';

ALTER TABLE agent.checkpoints ALTER COLUMN tenant_id DROP DEFAULT;

ALTER TABLE agent.threads ADD CONSTRAINT "PK_threads" PRIMARY KEY (tenant_id, thread_id);

ALTER TABLE agent.runs ADD CONSTRAINT "FK_runs_threads_tenant_id_thread_id" FOREIGN KEY (tenant_id, thread_id) REFERENCES agent.threads (tenant_id, thread_id) ON DELETE CASCADE;

ALTER TABLE agent.checkpoints ADD CONSTRAINT "FK_checkpoints_threads_tenant_id_thread_id" FOREIGN KEY (tenant_id, thread_id) REFERENCES agent.threads (tenant_id, thread_id) ON DELETE CASCADE;

CREATE INDEX ix_runs_tenant_id_thread_id_created_at ON agent.runs (tenant_id, thread_id, created_at);

CREATE INDEX ix_checkpoints_tenant_id_thread_id_sequence ON agent.checkpoints (tenant_id, thread_id, sequence);

CREATE INDEX ix_assistants_tenant_id_graph_id ON agent.assistants (tenant_id, graph_id);

INSERT INTO agent."__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261121050000_Tenants', '10.0.15');

COMMIT;

START TRANSACTION;
ALTER TABLE agent.runs ADD next_attempt_at timestamp with time zone;

ALTER TABLE agent.runs ADD retry_count integer NOT NULL DEFAULT 0;

ALTER TABLE agent.runs ADD dispatched_at timestamp with time zone;

ALTER TABLE agent.runs ADD idempotency_key character varying(200);

CREATE UNIQUE INDEX ux_runs_tenant_id_idempotency_key ON agent.runs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

INSERT INTO agent."__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261121100000_DurableExecution', '10.0.15');

COMMIT;

START TRANSACTION;
CREATE TABLE agent.api_keys (
    key_id uuid NOT NULL,
    tenant_id character varying(64) NOT NULL,
    name character varying(200) NOT NULL,
    scopes character varying(64) NOT NULL,
    key_hash bytea NOT NULL,
    created_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT "PK_api_keys" PRIMARY KEY (key_id)
);

CREATE INDEX ix_api_keys_tenant_id_created_at ON agent.api_keys (tenant_id, created_at);

CREATE INDEX ix_runs_tenant_id_unfinished ON agent.runs (tenant_id) WHERE status IN ('pending', 'running');

INSERT INTO agent."__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261121110000_ApiKeys', '10.0.15');

COMMIT;

START TRANSACTION;
ALTER TABLE agent.assistants ADD context jsonb NOT NULL DEFAULT '{}';

ALTER TABLE agent.runs ADD start_after timestamp with time zone;

ALTER TABLE agent.checkpoints DROP CONSTRAINT "FK_checkpoints_runs_run_id";

ALTER TABLE agent.checkpoints ALTER COLUMN run_id TYPE uuid;
ALTER TABLE agent.checkpoints ALTER COLUMN run_id DROP NOT NULL;

ALTER TABLE agent.checkpoints ADD CONSTRAINT "FK_checkpoints_runs_run_id" FOREIGN KEY (run_id) REFERENCES agent.runs (run_id) ON DELETE SET NULL;

CREATE TABLE agent.assistant_versions (
    assistant_id uuid NOT NULL,
    version integer NOT NULL,
    tenant_id character varying(64),
    graph_id character varying(200) NOT NULL,
    name character varying(200) NOT NULL,
    description text,
    config jsonb NOT NULL,
    context jsonb NOT NULL,
    metadata jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_assistant_versions" PRIMARY KEY (assistant_id, version),
    CONSTRAINT "FK_assistant_versions_assistants_assistant_id" FOREIGN KEY (assistant_id) REFERENCES agent.assistants (assistant_id) ON DELETE CASCADE
);

CREATE TABLE agent.crons (
    cron_id uuid NOT NULL,
    tenant_id character varying(64) NOT NULL,
    assistant_id uuid NOT NULL,
    thread_id uuid,
    schedule character varying(200) NOT NULL,
    timezone character varying(100) NOT NULL,
    end_time timestamp with time zone,
    payload jsonb NOT NULL,
    metadata jsonb NOT NULL,
    enabled boolean NOT NULL,
    on_run_completed character varying(16) NOT NULL,
    next_run_date timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_crons" PRIMARY KEY (cron_id),
    CONSTRAINT "FK_crons_assistants_assistant_id" FOREIGN KEY (assistant_id) REFERENCES agent.assistants (assistant_id) ON DELETE CASCADE,
    CONSTRAINT "FK_crons_threads_tenant_id_thread_id" FOREIGN KEY (tenant_id, thread_id) REFERENCES agent.threads (tenant_id, thread_id) ON DELETE CASCADE
);

CREATE INDEX ix_crons_enabled_next_run_date ON agent.crons (enabled, next_run_date);

CREATE INDEX ix_crons_tenant_id_assistant_id ON agent.crons (tenant_id, assistant_id);

CREATE INDEX "IX_crons_assistant_id" ON agent.crons (assistant_id);

CREATE INDEX "IX_crons_tenant_id_thread_id" ON agent.crons (tenant_id, thread_id);

INSERT INTO agent."__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261121120000_LangGraphApi', '10.0.15');

COMMIT;

START TRANSACTION;
CREATE TABLE agent.model_calls (
    model_call_id uuid NOT NULL,
    run_id uuid NOT NULL,
    step integer NOT NULL,
    thread_id uuid NOT NULL,
    assistant_id uuid NOT NULL,
    tenant_id text,
    provider character varying(64) NOT NULL,
    model character varying(200) NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cached_input_tokens bigint,
    latency_ms double precision NOT NULL,
    finish_reason character varying(32),
    cost_usd numeric(18,8),
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_model_calls" PRIMARY KEY (model_call_id),
    CONSTRAINT "FK_model_calls_runs_run_id" FOREIGN KEY (run_id) REFERENCES agent.runs (run_id) ON DELETE CASCADE
);

CREATE INDEX ix_model_calls_assistant_id_created_at ON agent.model_calls (assistant_id, created_at);

CREATE INDEX ix_model_calls_created_at ON agent.model_calls (created_at);

CREATE INDEX ix_model_calls_thread_id_created_at ON agent.model_calls (thread_id, created_at);

CREATE UNIQUE INDEX ux_model_calls_run_id_step ON agent.model_calls (run_id, step);

CREATE VIEW agent.model_call_usage AS
SELECT c.model_call_id, c.run_id, c.step, c.thread_id, c.assistant_id, c.tenant_id, c.provider, c.model,
       c.input_tokens, c.output_tokens, c.cached_input_tokens, c.latency_ms, c.finish_reason, c.cost_usd,
       c.created_at, (c.created_at AT TIME ZONE 'UTC')::date AS day
  FROM agent.model_calls c;

CREATE VIEW agent.usage_daily AS
SELECT day, assistant_id, provider, model,
       count(*) AS calls,
       count(DISTINCT run_id) AS runs,
       sum(input_tokens)::bigint AS input_tokens,
       sum(output_tokens)::bigint AS output_tokens,
       coalesce(sum(cached_input_tokens), 0)::bigint AS cached_input_tokens,
       coalesce(sum(cost_usd), 0) AS cost_usd,
       count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced_calls,
       avg(latency_ms) AS avg_latency_ms
  FROM agent.model_call_usage
 GROUP BY day, assistant_id, provider, model;

INSERT INTO agent."__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261121130000_ModelCalls', '10.0.15');

COMMIT;

START TRANSACTION;
CREATE TABLE agent.provider_rate_limits (
    key character varying(300) NOT NULL,
    requests_tat timestamp with time zone NOT NULL,
    tokens_tat timestamp with time zone NOT NULL,
    CONSTRAINT "PK_provider_rate_limits" PRIMARY KEY (key)
);

INSERT INTO agent."__EFMigrationsHistory" ("MigrationId", "ProductVersion")
VALUES ('20261121140000_ProviderRateLimits', '10.0.15');

COMMIT;

