using System.Collections.Concurrent;
using System.Text.Json;

namespace Cordon.Behaviour;

/// <summary>A stored JSON document and the version it was read at.</summary>
public sealed record StoredDocument(string Json, string ETag);

/// <summary>
/// Keyed monitor state (one document per agent, one per site's peer group, one per site's ticket shard), kept as live
/// objects in the process, one gate per document: concurrent batches for one agent take turns, so none loses an event.
/// A store that persists (Table Storage) is written through on every change and read only on a miss (a restarted
/// process); its writes name the version they were computed from and lose if another process wrote since, and
/// <see cref="UpdateAsync"/> then reads again and recomputes. The memory store keeps the live objects only: no JSON at all.
/// </summary>
public abstract class BehaviourStateStore
{
    const int MaxAttempts = 64;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly ConcurrentDictionary<(string Kind, string Key), Live> live = new();

    /// <summary>One document: its value as of the last commit and the stored version it was written at.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "SemaphoreSlim holds a wait handle only once AvailableWaitHandle is read; this gate never reads it, and a dropped document may still have a waiter")]
    sealed class Live
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public object? Value;
        public string? ETag;
        public bool Loaded;
    }

    /// <summary>True when documents are kept outside the process (then the live objects are a write-through cache).</summary>
    public virtual bool Persists => false;

    /// <summary>Live documents a persisting store keeps before it drops idle ones (they are read again on the next miss).</summary>
    protected virtual int CacheLimit => int.MaxValue;

    /// <summary>Reads the stored document (a persisting store only); null when nothing is stored.</summary>
    protected virtual Task<StoredDocument?> LoadAsync(string kind, string key, CancellationToken cancellationToken) => Task.FromResult<StoredDocument?>(null);

    /// <summary>Writes if the stored version is still <paramref name="etag"/> (null: only if nothing is stored); the new version, or null when someone else wrote first.</summary>
    protected virtual Task<string?> SaveAsync(string kind, string key, string json, string? etag, CancellationToken cancellationToken) => Task.FromResult<string?>("live");

    /// <summary>
    /// Changes one document under its gate. <paramref name="change"/> gets the live value (null: none yet) and may change
    /// it in place, but only if no reader holds it (an agent's state: read only here); a document others read through
    /// <see cref="GetAsync"/> (a peer group, a ticket shard) is replaced by a changed copy. A change that returns no value
    /// has nothing to write (e.g. a batch of duplicates). When a persisting store's write fails or loses its race, the live
    /// value is dropped and read again, so a value changed in place is never kept ahead of what is stored.
    /// </summary>
    public async Task<TResult> UpdateAsync<T, TResult>(string kind, string key, Func<T?, Task<(T? Value, TResult Result)>> change, CancellationToken cancellationToken)
        where T : class
    {
        for (int attempt = 1; ; attempt++)
        {
            if (Persists && live.Count > CacheLimit)
            {
                DropIdle();
            }

            Live entry = live.GetOrAdd((kind, key), _ => new Live());
            await entry.Gate.WaitAsync(cancellationToken);
            bool committed = false;
            try
            {
                if (!entry.Loaded)
                {
                    StoredDocument? stored = Persists ? await LoadAsync(kind, key, cancellationToken) : null;
                    entry.Value = stored is null ? null : JsonSerializer.Deserialize<T>(stored.Json, Json);
                    entry.ETag = stored?.ETag;
                    entry.Loaded = true;
                }

                (T? value, TResult result) = await change((T?)entry.Value);
                if (value is null)
                {
                    committed = true;
                    return result;
                }

                string? etag = Persists ? await SaveAsync(kind, key, JsonSerializer.Serialize(value, Json), entry.ETag, cancellationToken) : "live";
                if (etag is not null)
                {
                    Volatile.Write(ref entry.Value, value);
                    entry.ETag = etag;
                    committed = true;
                    return result;
                }
            }
            finally
            {
                if (!committed && Persists)
                {
                    // Lost a race with another process, or failed: what is stored is the truth, read it again.
                    entry.Loaded = false;
                    entry.Value = null;
                    entry.ETag = null;
                }

                entry.Gate.Release();
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException($"{kind} {key} kept changing: gave up after {MaxAttempts} attempts");
            }

            // Jitter so two processes racing for one agent do not collide again in lockstep.
            await Task.Delay(Random.Shared.Next(1, 5 + (attempt * 5)), cancellationToken);
        }
    }

    /// <summary>
    /// A document as stored: a persisting store reads it afresh (another process may have written it); the memory store
    /// hands out its live value, which the reader must not change.
    /// </summary>
    public async Task<T?> GetAsync<T>(string kind, string key, CancellationToken cancellationToken)
        where T : class
    {
        if (!Persists)
        {
            return live.TryGetValue((kind, key), out Live? entry) ? (T?)Volatile.Read(ref entry.Value) : null;
        }

        return await LoadAsync(kind, key, cancellationToken) is { } stored ? JsonSerializer.Deserialize<T>(stored.Json, Json) : null;
    }

    /// <summary>Drops the live documents no batch holds (bounded memory); a dropped one is read again on its next change.</summary>
    void DropIdle()
    {
        foreach (var (id, entry) in live)
        {
            if (entry.Gate.CurrentCount == 1)
            {
                // A batch that fetched it just now and waits for its gate still writes with its ETag: a race is caught there.
                live.TryRemove(new KeyValuePair<(string, string), Live>(id, entry));
            }
        }
    }
}

/// <summary>The default store: live objects in process memory (lost on restart), changed in place under each document's gate.</summary>
public sealed class InMemoryBehaviourStateStore : BehaviourStateStore;
