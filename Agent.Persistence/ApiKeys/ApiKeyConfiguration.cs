using Agent.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.ApiKeys;

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => k.KeyId);
        builder.Property(k => k.KeyId).HasColumnName("key_id").ValueGeneratedNever();
        builder.Property(k => k.TenantId).HasColumnName("tenant_id").HasMaxLength(AgentTenants.MaxLength);
        builder.Property(k => k.Name).HasColumnName("name").HasMaxLength(ApiKeySecret.MaxNameLength);
        builder.Property(k => k.Scopes).HasColumnName("scopes").HasMaxLength(64);
        builder.Property(k => k.KeyHash).HasColumnName("key_hash");
        builder.Property(k => k.CreatedAt).HasColumnName("created_at");
        builder.Property(k => k.RevokedAt).HasColumnName("revoked_at");
        builder.HasIndex(k => new { k.TenantId, k.CreatedAt }).HasDatabaseName("ix_api_keys_tenant_id_created_at");
    }
}
