using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Cordon.Offboarding;

namespace Cordon.Adapters.Tables;

/// <summary>
/// The site register on Azure Table Storage: one row per site holding its confirmed insiders, updated
/// with ETag optimistic concurrency. Two incidents confirmed at once at one site are serialised by the
/// ETag (the loser re-reads and retries), so both are counted and each sees a distinct count; recording
/// an incident again (a retried activity) adds nothing.
/// </summary>
public sealed class TableSiteRegister(TableClient table) : ISiteRegister
{
    const string Partition = "site";
    const string InsidersColumn = "Insiders";
    const int MaxAttempts = 50;
    volatile bool created;

    public TableClient Table { get; } = table;

    public async Task<int> RecordAsync(ConfirmedInsider insider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(insider);
        string key = RowKey(insider.SiteId);
        await EnsureTableAsync(cancellationToken);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            NullableResponse<TableEntity> found = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, key, cancellationToken: cancellationToken);
            TableEntity? row = found.HasValue ? found.Value : null;
            List<ConfirmedInsider> insiders = row?.GetString(InsidersColumn) is { } json
                ? JsonSerializer.Deserialize<List<ConfirmedInsider>>(json, CordonJson.Options) ?? []
                : [];
            if (insiders.All(i => i.IncidentId != insider.IncidentId))
            {
                insiders.Add(insider);
                var entity = new TableEntity(Partition, key)
                {
                    ["SiteId"] = insider.SiteId,
                    ["Count"] = insiders.Count,
                    [InsidersColumn] = JsonSerializer.Serialize(insiders, CordonJson.Options),
                };
                try
                {
                    if (row is null)
                    {
                        await Table.AddEntityAsync(entity, cancellationToken);
                    }
                    else
                    {
                        await Table.UpdateEntityAsync(entity, row.ETag, TableUpdateMode.Replace, cancellationToken);
                    }
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412)
                {
                    continue; // another incident at this site was recorded in between: read again
                }
            }

            return insiders.Count(i => i.ConfirmedAt > insider.ConfirmedAt - insider.Window && i.ConfirmedAt <= insider.ConfirmedAt);
        }

        throw new InvalidOperationException($"site register: gave up recording {insider.IncidentId} at site {insider.SiteId} after {MaxAttempts} concurrent updates");
    }

    static string RowKey(string siteId) => TableKeys.Checked(siteId, "site id ");

    async Task EnsureTableAsync(CancellationToken ct)
    {
        if (created)
        {
            return;
        }

        // Concurrent first calls may both create: CreateIfNotExists is idempotent.
        await Table.CreateIfNotExistsAsync(ct);
        created = true;
    }
}
