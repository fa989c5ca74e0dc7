using Cordon.Behaviour;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Cordon.Adapters.Tables;

/// <summary>
/// Monitor state in Azure Table Storage (Azurite locally): one entity per document, replaced with
/// If-Match on its ETag; a 412 (or a 409 for a concurrent first insert) is a lost race, not an error.
/// </summary>
public sealed class TableBehaviourStateStore(TableClient table) : BehaviourStateStore
{
    /// <summary>A string property holds at most 64 KiB (32 K UTF-16 characters): longer documents are split.</summary>
    const int ChunkChars = 30_000;

    /// <summary>An entity holds at most 1 MiB: 15 chunks of UTF-16 stay below it.</summary>
    const int MaxChunks = 15;

    bool created;

    public override async Task<StoredDocument?> ReadAsync(string kind, string key, CancellationToken cancellationToken)
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

    public override async Task<bool> TryWriteAsync(string kind, string key, string json, string? etag, CancellationToken cancellationToken)
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
            if (etag is null)
            {
                await table.AddEntityAsync(entity, cancellationToken);
            }
            else
            {
                await table.UpdateEntityAsync(entity, new ETag(etag), TableUpdateMode.Replace, cancellationToken);
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 409)
        {
            return false;
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
