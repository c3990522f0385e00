using Agent.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Store;

internal sealed class StoreItemConfiguration : IEntityTypeConfiguration<StoreItem>
{
    /// <summary>The generated column's expression: the search text, English configuration (empty when not indexed).</summary>
    internal const string SearchVectorSql = "to_tsvector('english'::regconfig, COALESCE(search_text, ''::text))";

    public void Configure(EntityTypeBuilder<StoreItem> builder)
    {
        builder.ToTable("store_items");
        // The B-tree of the key serves the exact lookups and, the namespace being C-collated, the prefix ranges.
        builder.HasKey(i => new { i.TenantId, i.Namespace, i.Key });
        builder.Property(i => i.TenantId).HasColumnName("tenant_id").HasMaxLength(AgentTenants.MaxLength);
        builder.Property(i => i.Namespace).HasColumnName("namespace").HasColumnType("text[]").UseCollation("C");
        builder.Property(i => i.Key).HasColumnName("key");
        builder.Property(i => i.Value).HasColumnName("value").HasColumnType("jsonb");
        builder.Property(i => i.SearchText).HasColumnName("search_text");
        builder.Property(i => i.SearchVector).HasColumnName("search_vector").HasColumnType("tsvector")
            .HasComputedColumnSql(SearchVectorSql, stored: true);
        builder.Property(i => i.TtlMinutes).HasColumnName("ttl_minutes");
        builder.Property(i => i.ExpiresAt).HasColumnName("expires_at");
        builder.Property(i => i.CreatedAt).HasColumnName("created_at");
        builder.Property(i => i.UpdatedAt).HasColumnName("updated_at");

        builder.HasIndex(i => i.SearchVector).HasMethod("GIN").HasDatabaseName("ix_store_items_search_vector");
        // filter: value @> {"field": v} uses it.
        builder.HasIndex(i => i.Value).HasMethod("GIN").HasOperators("jsonb_path_ops").HasDatabaseName("ix_store_items_value");
        // The sweeper's scan: expiring items by expiry.
        builder.HasIndex(i => i.ExpiresAt).HasFilter("expires_at IS NOT NULL").HasDatabaseName("ix_store_items_expires_at");
    }
}
