using Cordon.Behaviour;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Cordon.Adapters.Tables;

/// <summary>
/// Monitor state in Azure Table Storage (Azurite locally): one entity per document, replaced with
/// If-Match on its ETag; a 412 (or a 409 for a concurrent first insert) is a lost race, not an error.
/// The process keeps each document live (<see cref="BehaviourStateStore"/>): an entity is read once, on a miss
/// (after a restart), and written once per change, so a telemetry batch costs one write per agent it touches.
/// </summary>
public sealed class TableBehaviourStateStore(TableClient table) : BehaviourStateStore
{
    /// <summary>A string property holds at most 64 KiB (32 K UTF-16 characters): longer documents are split.</summary>
    const int ChunkChars = 30_000;

    /// <summary>An entity holds at most 1 MiB: 15 chunks of UTF-16 stay below it.</summary>
    const int MaxChunks = 15;

    bool created;

    public override bool Persists => true;

    /// <summary>Agents (and peer groups, ticket shards) kept live; beyond it idle ones are dropped and read again when next touched.</summary>
    protected override int CacheLimit => 20_000;

    protected override Task<StoredDocument?> LoadAsync(string kind, string key, CancellationToken cancellationToken) => ReadAsync(kind, key, cancellationToken);

    protected override Task<string?> SaveAsync(string kind, string key, string json, string? etag, CancellationToken cancellationToken) =>
        WriteAsync(kind, key, json, etag, cancellationToken);

    public async Task<StoredDocument?> ReadAsync(string kind, string key, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken);
        NullableResponse<TableEntity> response = await table.GetEntityIfExistsAsync<TableEntity>(PartitionKey(key), kind, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }

        TableEntity entity = response.Value!;
        int chunks = entity.GetInt32("chunks") ?? 0;
        var json = new StringBuilder();
        for (int i = 0; i < chunks; i++)
        {
            json.Append(entity.GetString($"d{i}"));
        }

        return new StoredDocument(json.ToString(), entity.ETag.ToString());
    }

    /// <summary>Writes if the stored version is still <paramref name="etag"/> (null: only if nothing is stored); false when someone else wrote first.</summary>
    public async Task<bool> TryWriteAsync(string kind, string key, string json, string? etag, CancellationToken cancellationToken) =>
        await WriteAsync(kind, key, json, etag, cancellationToken) is not null;

    async Task<string?> WriteAsync(string kind, string key, string json, string? etag, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken);
        int chunks = (json.Length + ChunkChars - 1) / ChunkChars;
        if (chunks > MaxChunks)
        {
            throw new InvalidOperationException($"{kind} {key} is {json.Length} characters: larger than a table entity holds");
        }

        var entity = new TableEntity(PartitionKey(key), kind) { ["chunks"] = chunks };
        for (int i = 0; i < chunks; i++)
        {
            entity[$"d{i}"] = json.Substring(i * ChunkChars, Math.Min(ChunkChars, json.Length - (i * ChunkChars)));
        }

        try
        {
            Response response = etag is null
                ? await table.AddEntityAsync(entity, cancellationToken)
                : await table.UpdateEntityAsync(entity, new ETag(etag), TableUpdateMode.Replace, cancellationToken);
            return response.Headers.ETag?.ToString() ?? throw new InvalidOperationException($"{kind} {key}: the table answered a write without an ETag");
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 409)
        {
            return null;
        }
    }

    async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!Volatile.Read(ref created))
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
            Volatile.Write(ref created, true);
        }
    }

    /// <summary>Keys may hold characters a table key refuses ('/', '\', '#', '?'); escaping keeps them readable and unique.</summary>
    static string PartitionKey(string key) => Uri.EscapeDataString(key.ToLowerInvariant());
}
