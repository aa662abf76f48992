// The columns of Paperclip's tables that the session-compaction step reads.
export const schema = `
create table if not exists companies (
  id text primary key,
  name text not null
);

create table if not exists agents (
  id text not null,
  company_id text not null references companies (id),
  name text not null,
  adapter_type text,
  runtime_config jsonb not null default '{}'::jsonb,
  primary key (company_id, id)
);

-- The session the agent's next heartbeat resumes (its fallback when the run names none).
create table if not exists agent_runtime_state (
  company_id text not null,
  agent_id text not null,
  session_id text,
  updated_at timestamptz not null default now(),
  primary key (company_id, agent_id)
);

create table if not exists heartbeat_runs (
  id text primary key,
  company_id text not null,
  agent_id text not null,
  session_id_before text,
  session_id_after text,
  created_at timestamptz not null,
  usage_json jsonb,
  result_json jsonb,
  error text,
  liveness_state text
);

create index if not exists heartbeat_runs_session_idx
  on heartbeat_runs (company_id, agent_id, session_id_after, created_at desc);
`;
