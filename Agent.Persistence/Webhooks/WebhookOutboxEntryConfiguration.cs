using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Webhooks;

internal sealed class WebhookOutboxEntryConfiguration : IEntityTypeConfiguration<WebhookOutboxEntry>
{
    public void Configure(EntityTypeBuilder<WebhookOutboxEntry> builder)
    {
        builder.ToTable("webhook_deliveries");
        builder.HasKey(w => w.DeliveryId);
        // The trigger inserts rows with only run, tenant and URL: the rest comes from these defaults.
        builder.Property(w => w.DeliveryId).HasColumnName("delivery_id").HasDefaultValueSql("gen_random_uuid()");
        builder.Property(w => w.RunId).HasColumnName("run_id");
        builder.Property(w => w.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        builder.Property(w => w.Url).HasColumnName("url");
        builder.Property(w => w.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
        builder.Property(w => w.NextAttemptAt).HasColumnName("next_attempt_at").HasDefaultValueSql("now()");
        builder.Property(w => w.Attempts).HasColumnName("attempts").HasDefaultValue(0);
        builder.Property(w => w.ClaimedBy).HasColumnName("claimed_by");
        builder.Property(w => w.ClaimedUntil).HasColumnName("claimed_until");
        builder.Property(w => w.DeliveredAt).HasColumnName("delivered_at");
        builder.Property(w => w.FailedAt).HasColumnName("failed_at");
        builder.Property(w => w.LastStatus).HasColumnName("last_status");
        builder.Property(w => w.LastError).HasColumnName("last_error");
        builder.HasIndex(w => w.NextAttemptAt).HasDatabaseName("ix_webhook_deliveries_due")
            .HasFilter("delivered_at IS NULL AND failed_at IS NULL");
        builder.HasIndex(w => w.RunId).HasDatabaseName("ix_webhook_deliveries_run_id");
    }
}
