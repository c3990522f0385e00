using Agent.Worker.Hosting;

// Commands (WorkerCommandLine): `run` (default) executes runs; `migrate` brings the database up to date;
// `ingest [--collection NAME] [--path DIR]` loads a document collection (default: the manual into postgresql-15);
// `keys create|list|revoke` manages API keys; `eval` scores retrieval
// (deploy/local/eval.sh). A deployment runs migrate (and ingest) once before starting the API and the workers.
// A deployer's own host makes the same call with its graphs and tools (AgentWorkerApplication, docs/agents.md).
return await AgentWorkerApplication.RunAsync(args);
