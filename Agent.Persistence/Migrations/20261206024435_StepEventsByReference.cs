using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class StepEventsByReference : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // What EF Core reads for run events: a step event stored without its messages (the step commit leaves them
            // out when they are exactly its checkpoint's delta) gets them back from that checkpoint, with the delta's
            // other channels as "values" when there are any. Other events, and step events stored whole, pass through.
            // The checkpoint is found by the unique (run_id, checkpoint_ns, step) index: a subgraph's step event names
            // its namespace ("checkpoint_ns"), the run's own steps leave it out (the empty namespace).
            migrationBuilder.Sql("""
                CREATE VIEW agent.run_events_expanded AS
                SELECT e.run_id, e.sequence, e.kind, e.created_at,
                       CASE WHEN c.delta IS NULL THEN e.data
                            WHEN c.delta - 'messages' = '{}'::jsonb
                                THEN e.data || jsonb_build_object('messages', c.delta -> 'messages')
                            ELSE e.data || jsonb_build_object('messages', c.delta -> 'messages', 'values', c.delta - 'messages')
                       END AS data
                  FROM agent.run_events e
                  LEFT JOIN agent.checkpoints c
                    ON e.kind = 'step' AND e.data -> 'messages' IS NULL
                   AND c.run_id = e.run_id
                   AND c.checkpoint_ns = COALESCE(e.data ->> 'checkpoint_ns', '')
                   AND c.step = (e.data ->> 'step')::integer
                   AND c.checkpoint_id = (e.data ->> 'checkpoint_id')::uuid;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP VIEW agent.run_events_expanded;");
        }
    }
}
