using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.RateLimits;

internal sealed class ProviderRateLimitConfiguration : IEntityTypeConfiguration<ProviderRateLimit>
{
    public void Configure(EntityTypeBuilder<ProviderRateLimit> builder)
    {
        builder.ToTable("provider_rate_limits");
        builder.HasKey(l => l.Key);
        builder.Property(l => l.Key).HasColumnName("key").HasMaxLength(300);
        builder.Property(l => l.RequestsTat).HasColumnName("requests_tat");
        builder.Property(l => l.TokensTat).HasColumnName("tokens_tat");
    }
}
