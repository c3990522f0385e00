using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Assistants;

/// <summary>
/// Reads and writes assistants and their versions for the API (tenant-scoped through the context's query filter;
/// system assistants are visible to every tenant). Every change of an assistant writes a new version row.
/// </summary>
/// <param name="db">The request's database context.</param>
public sealed class AssistantStore(AgentDbContext db)
{
    /// <summary>Finds an assistant by id, or a graph's system assistant by graph name.</summary>
    /// <param name="assistantId">A UUID or a graph id.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The assistant (not tracked), or null.</returns>
    public Task<Assistant?> ResolveAsync(string assistantId, CancellationToken cancellationToken)
    {
        var id = SystemAssistants.IdOf(assistantId);
        return id == Guid.Empty ? Task.FromResult<Assistant?>(null) : FindAsync(id, cancellationToken);
    }

    /// <summary>Finds an assistant.</summary>
    /// <param name="assistantId">The assistant.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The assistant (not tracked), or null.</returns>
    public Task<Assistant?> FindAsync(Guid assistantId, CancellationToken cancellationToken) =>
        db.Assistants.AsNoTracking().SingleOrDefaultAsync(a => a.AssistantId == assistantId, cancellationToken);

    /// <summary>Creates an assistant with its first version.</summary>
    /// <param name="assistant">The new assistant.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>False when the id is taken (possibly by another tenant's assistant, or a concurrent create).</returns>
    public async Task<bool> CreateAsync(Assistant assistant, CancellationToken cancellationToken)
    {
        db.Assistants.Add(assistant);
        db.AssistantVersions.Add(VersionOf(assistant, assistant.CreatedAt));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            return false;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>Saves a changed assistant as a new version, numbered one past the newest version.</summary>
    /// <param name="assistant">The assistant as found, with its fields changed.</param>
    /// <param name="now">The time of the change.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>A task that completes when the version is written (<see cref="Assistant.Version"/> is set).</returns>
    public async Task SaveNewVersionAsync(Assistant assistant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var latest = await db.AssistantVersions.Where(v => v.AssistantId == assistant.AssistantId)
            .MaxAsync(v => (int?)v.Version, cancellationToken) ?? assistant.Version;
        assistant.Version = latest + 1;
        assistant.UpdatedAt = now;
        db.Assistants.Update(assistant);
        db.AssistantVersions.Add(VersionOf(assistant, now));
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
    }

    /// <summary>Makes an earlier version current (its fields become the assistant's).</summary>
    /// <param name="assistant">The assistant.</param>
    /// <param name="version">The version number.</param>
    /// <param name="now">The time of the change.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>The assistant as updated, or null when it has no such version.</returns>
    public async Task<Assistant?> SetLatestAsync(Assistant assistant, int version, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = await db.AssistantVersions.AsNoTracking()
            .SingleOrDefaultAsync(v => v.AssistantId == assistant.AssistantId && v.Version == version, cancellationToken);
        if (row is null)
        {
            return null;
        }

        assistant.GraphId = row.GraphId;
        assistant.Name = row.Name;
        assistant.Description = row.Description;
        assistant.Config = row.Config;
        assistant.Context = row.Context;
        assistant.Metadata = row.Metadata;
        assistant.Version = row.Version;
        assistant.UpdatedAt = now;
        db.Assistants.Update(assistant);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return assistant;
    }

    /// <summary>Searches assistants.</summary>
    /// <param name="filter">The filters.</param>
    /// <param name="sortBy">The sort field, as on the wire: <c>created_at</c> (else), <c>updated_at</c>, <c>assistant_id</c>, <c>graph_id</c>, <c>name</c>.</param>
    /// <param name="descending">Whether the order is descending.</param>
    /// <param name="offset">How many to skip.</param>
    /// <param name="limit">How many to return.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The page.</returns>
    public Task<List<Assistant>> SearchAsync(
        AssistantFilter filter, string sortBy, bool descending, int offset, int limit, CancellationToken cancellationToken)
    {
        var query = Filter(filter);
        query = (sortBy, descending) switch
        {
            ("updated_at", true) => query.OrderByDescending(a => a.UpdatedAt),
            ("updated_at", false) => query.OrderBy(a => a.UpdatedAt),
            ("assistant_id", true) => query.OrderByDescending(a => a.AssistantId),
            ("assistant_id", false) => query.OrderBy(a => a.AssistantId),
            ("graph_id", true) => query.OrderByDescending(a => a.GraphId),
            ("graph_id", false) => query.OrderBy(a => a.GraphId),
            ("name", true) => query.OrderByDescending(a => a.Name),
            ("name", false) => query.OrderBy(a => a.Name),
            (_, true) => query.OrderByDescending(a => a.CreatedAt),
            _ => query.OrderBy(a => a.CreatedAt),
        };
        return query.Skip(offset).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>Counts assistants.</summary>
    /// <param name="filter">The filters.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The count.</returns>
    public Task<int> CountAsync(AssistantFilter filter, CancellationToken cancellationToken) => Filter(filter).CountAsync(cancellationToken);

    /// <summary>Lists an assistant's versions.</summary>
    /// <param name="assistantId">The assistant.</param>
    /// <param name="metadataContains">A JSON object the version's metadata must contain, or null.</param>
    /// <param name="descending">Whether the newest come first.</param>
    /// <param name="offset">How many to skip.</param>
    /// <param name="limit">How many to return.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The page.</returns>
    public Task<List<AssistantVersion>> VersionsAsync(
        Guid assistantId, string? metadataContains, bool descending, int offset, int limit, CancellationToken cancellationToken)
    {
        var query = db.AssistantVersions.AsNoTracking().Where(v => v.AssistantId == assistantId);
        if (metadataContains is not null)
        {
            query = query.Where(v => EF.Functions.JsonContains(v.Metadata, metadataContains));
        }

        return (descending ? query.OrderByDescending(v => v.Version) : query.OrderBy(v => v.Version))
            .Skip(offset).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>Builds the version row of an assistant as it is now.</summary>
    /// <param name="assistant">The assistant.</param>
    /// <param name="now">The version's creation time.</param>
    /// <returns>The row.</returns>
    public static AssistantVersion VersionOf(Assistant assistant, DateTimeOffset now) => new()
    {
        AssistantId = assistant.AssistantId,
        Version = assistant.Version,
        TenantId = assistant.TenantId,
        GraphId = assistant.GraphId,
        Name = assistant.Name,
        Description = assistant.Description,
        Config = assistant.Config,
        Context = assistant.Context,
        Metadata = assistant.Metadata,
        CreatedAt = now,
    };

    private IQueryable<Assistant> Filter(AssistantFilter filter)
    {
        IQueryable<Assistant> query = db.Assistants.AsNoTracking();
        if (filter.MetadataContains is { } metadata)
        {
            query = query.Where(a => EF.Functions.JsonContains(a.Metadata, metadata));
        }

        if (filter.GraphId is { } graphId)
        {
            query = query.Where(a => a.GraphId == graphId);
        }

        if (filter.NameContains is { Length: > 0 } name)
        {
            // LangGraph matches names by case-insensitive substring; the pattern's wildcards are escaped. The escape
            // character must be named: Npgsql's ILike without one sends ESCAPE '' (no escaping), so "\_" matched nothing.
            var pattern = "%" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
                .Replace("_", "\\_", StringComparison.Ordinal) + "%";
            query = query.Where(a => EF.Functions.ILike(a.Name, pattern, "\\"));
        }

        return query;
    }
}
