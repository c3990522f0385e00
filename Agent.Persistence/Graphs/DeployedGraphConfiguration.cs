using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Graphs;

internal sealed class DeployedGraphConfiguration : IEntityTypeConfiguration<DeployedGraph>
{
    public void Configure(EntityTypeBuilder<DeployedGraph> builder)
    {
        builder.ToTable("graphs");
        builder.HasKey(g => g.GraphId);
        builder.Property(g => g.GraphId).HasColumnName("graph_id").HasMaxLength(200);
        builder.Property(g => g.Graph).HasColumnName("graph").HasColumnType("jsonb");
        builder.Property(g => g.Channels).HasColumnName("channels").HasColumnType("jsonb");
        builder.Property(g => g.Tools).HasColumnName("tools").HasColumnType("jsonb").HasDefaultValueSql("'[]'::jsonb");
        builder.Property(g => g.McpServers).HasColumnName("mcp_servers").HasColumnType("jsonb").HasDefaultValueSql("'[]'::jsonb");
        builder.Property(g => g.Subgraphs).HasColumnName("subgraphs").HasColumnType("jsonb").HasDefaultValueSql("'{}'::jsonb");
        builder.Property(g => g.UpdatedAt).HasColumnName("updated_at");
    }
}
