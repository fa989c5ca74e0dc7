using System.Collections.Concurrent;
using System.Text.Json;

namespace Cordon.Behaviour;

/// <summary>A stored JSON document and the version it was read at.</summary>
public sealed record StoredDocument(string Json, string ETag);

/// <summary>
/// Keyed monitor state (one document per agent, one per site's peer group) with optimistic
/// concurrency: a write names the version it was computed from and loses if anyone wrote since;
/// <see cref="UpdateAsync"/> then re-reads and recomputes, so concurrent batches never lose an update.
/// </summary>
public abstract class BehaviourStateStore
{
    const int MaxAttempts = 64;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public abstract Task<StoredDocument?> ReadAsync(string kind, string key, CancellationToken cancellationToken);

    /// <summary>Writes if the stored version is still <paramref name="etag"/> (null: only if nothing is stored); false when someone else wrote first.</summary>
    public abstract Task<bool> TryWriteAsync(string kind, string key, string json, string? etag, CancellationToken cancellationToken);

    /// <summary>
    /// Read, change, write; on a lost race read again and recompute from the newer version.
    /// A change that returns no value has nothing to write (e.g. a batch of duplicates).
    /// </summary>
    public async Task<TResult> UpdateAsync<T, TResult>(string kind, string key, Func<T?, Task<(T? Value, TResult Result)>> change, CancellationToken cancellationToken)
        where T : class
    {
        for (int attempt = 1; ; attempt++)
        {
            StoredDocument? stored = await ReadAsync(kind, key, cancellationToken);
            T? current = stored is null ? null : JsonSerializer.Deserialize<T>(stored.Json, Json);
            (T? value, TResult result) = await change(current);
            if (value is null || await TryWriteAsync(kind, key, JsonSerializer.Serialize(value, Json), stored?.ETag, cancellationToken))
            {
                return result;
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException($"{kind} {key} kept changing: gave up after {MaxAttempts} attempts");
            }

            // Jitter so two writers racing for one agent do not collide again in lockstep.
            await Task.Delay(Random.Shared.Next(1, 5 + (attempt * 5)), cancellationToken);
        }
    }

    public async Task<T?> GetAsync<T>(string kind, string key, CancellationToken cancellationToken)
        where T : class =>
        await ReadAsync(kind, key, cancellationToken) is { } stored ? JsonSerializer.Deserialize<T>(stored.Json, Json) : null;
}

/// <summary>The default store: process memory, with the same version check as the table.</summary>
public sealed class InMemoryBehaviourStateStore : BehaviourStateStore
{
    readonly ConcurrentDictionary<(string, string), StoredDocument> documents = new();
    long version;

    public override Task<StoredDocument?> ReadAsync(string kind, string key, CancellationToken cancellationToken) =>
        Task.FromResult(documents.TryGetValue((kind, key), out StoredDocument? d) ? d : null);

    public override Task<bool> TryWriteAsync(string kind, string key, string json, string? etag, CancellationToken cancellationToken)
    {
        var next = new StoredDocument(json, Interlocked.Increment(ref version).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (etag is null)
        {
            return Task.FromResult(documents.TryAdd((kind, key), next));
        }

        return Task.FromResult(documents.TryGetValue((kind, key), out StoredDocument? current) && current.ETag == etag &&
            documents.TryUpdate((kind, key), next, current));
    }
}
