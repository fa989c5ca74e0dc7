using Azure;
using Azure.Data.Tables;
using Cordon.Roster;

namespace Cordon.Adapters.Tables;

/// <summary>
/// The roster on Azure Table Storage: one entity per member per site (partition: the site, row: the member's
/// directory object id) and, in a second table, one checkpoint per site (the next or delta link). Members are
/// written in transactions of up to 100 (one partition each), so a page of 5,000 members is 50 requests.
/// </summary>
public sealed class TableRosterStore(TableClient members, TableClient checkpoints) : IRosterStore
{
    const string CheckpointPartition = "site";
    const int MaxTransaction = 100;
    volatile bool created;

    public async Task<RosterCheckpoint?> GetCheckpointAsync(string siteId, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken);
        NullableResponse<TableEntity> found = await checkpoints.GetEntityIfExistsAsync<TableEntity>(CheckpointPartition, Key(siteId), cancellationToken: cancellationToken);
        if (!found.HasValue)
        {
            return null;
        }

        TableEntity e = found.Value!;
        return new RosterCheckpoint(siteId, e.GetString("GroupId"), e.GetString("NextLink"), e.GetString("DeltaLink"),
            e.GetInt64("Generation") ?? 0, e.GetBoolean("FullSync") ?? true, e.GetDateTimeOffset("CompletedAt"), e.GetDateTimeOffset("NotBefore"),
            e.GetInt32("Members") ?? 0);
    }

    public async Task SaveCheckpointAsync(RosterCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken);
        var entity = new TableEntity(CheckpointPartition, Key(checkpoint.SiteId))
        {
            ["GroupId"] = checkpoint.GroupId,
            ["NextLink"] = checkpoint.NextLink,
            ["DeltaLink"] = checkpoint.DeltaLink,
            ["Generation"] = checkpoint.Generation,
            ["FullSync"] = checkpoint.FullSync,
            ["CompletedAt"] = checkpoint.CompletedAt,
            ["NotBefore"] = checkpoint.NotBefore,
            ["Members"] = checkpoint.Members,
        };
        await checkpoints.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task UpsertAsync(string siteId, IReadOnlyList<RosterMember> added, long generation, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken);
        string partition = Key(siteId);
        // A page may name a member twice (Graph splits a group's members over several objects): the last word counts.
        var latest = added.GroupBy(m => m.Id, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        foreach (RosterMember[] chunk in latest.Chunk(MaxTransaction))
        {
            await members.SubmitTransactionAsync(chunk.Select(m => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                new TableEntity(partition, Key(m.Id))
                {
                    ["UserPrincipalName"] = m.UserPrincipalName,
                    ["Identity"] = SubjectIdentity.Canonical(m.UserPrincipalName),
                    ["DisplayName"] = m.DisplayName,
                    ["Generation"] = generation,
                })), cancellationToken);
        }
    }

    public async Task RemoveAsync(string siteId, IReadOnlyList<string> memberIds, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken);
        foreach (string id in memberIds.Distinct(StringComparer.Ordinal))
        {
            await DeleteAsync(Key(siteId), Key(id), cancellationToken);
        }
    }

    public async Task<int> RemoveUnseenAsync(string siteId, long generation, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken);
        string partition = Key(siteId);
        var unseen = new List<string>();
        await foreach (TableEntity e in members.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {partition} and Generation lt {generation}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            unseen.Add(e.RowKey);
        }

        foreach (string row in unseen)
        {
            await DeleteAsync(partition, row, cancellationToken);
        }

        return unseen.Count;
    }

    public async Task<IReadOnlyList<RosterMember>> ListAsync(string siteId, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken);
        var list = new List<RosterMember>();
        await foreach (TableEntity e in members.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Key(siteId)}"),
            select: ["RowKey", "UserPrincipalName", "DisplayName"], cancellationToken: cancellationToken))
        {
            list.Add(Member(e));
        }

        return list; // Table Storage returns a partition in row-key order: the stable order slices need
    }

    public async Task<RosterMember?> FindAsync(string siteId, string userPrincipalName, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken);
        string identity = SubjectIdentity.Canonical(userPrincipalName);
        await foreach (TableEntity e in members.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {Key(siteId)} and Identity eq {identity}"),
            maxPerPage: 1, select: ["RowKey", "UserPrincipalName", "DisplayName"], cancellationToken: cancellationToken))
        {
            return Member(e);
        }

        return null;
    }

    static RosterMember Member(TableEntity e) => new(e.RowKey, e.GetString("UserPrincipalName") ?? "", e.GetString("DisplayName") ?? "");

    async Task DeleteAsync(string partition, string row, CancellationToken cancellationToken)
    {
        try
        {
            await members.DeleteEntityAsync(partition, row, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // already gone: removing is idempotent
        }
    }

    static string Key(string value) => TableKeys.Checked(value);

    async Task EnsureTablesAsync(CancellationToken cancellationToken)
    {
        if (created)
        {
            return;
        }

        await members.CreateIfNotExistsAsync(cancellationToken);
        await checkpoints.CreateIfNotExistsAsync(cancellationToken);
        created = true;
    }
}
