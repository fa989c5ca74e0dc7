using Cordon.Access;
using Cordon.Evidence;
using System.Text.Json;

namespace Cordon.Offboarding;

/// <summary>
/// Revokes one slice of a vendor site's accounts. The slice is resolved here, not passed in, so a
/// 5,000-agent site never puts 5,000 names into the orchestration history. Each round of a batch is
/// recorded write-once with the evidence: a round run again (the host crashed before the step was
/// recorded) answers from the record instead of revoking, and spending Graph's write budget, twice.
/// A throttled round does not wait for the directory's budget: it returns the accounts it left and the
/// Retry-After, and the incident waits on a durable timer before the next round.
/// </summary>
public sealed class RevokeSiteBatch(IAccessControl access, IEvidenceStore evidence, IOptions<WorldOptions> world, Cordon.Roster.SiteRoster? roster = null) : TaskActivity<SiteBatch, BulkRevocationResult>
{
    [Function(nameof(RevokeSiteBatch))]
    public Task<BulkRevocationResult> Run([ActivityTrigger] SiteBatch batch) => RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch);

    /// <summary>The write-once record of one round of a batch (an incident offboards one site).</summary>
    public static string RecordName(int index, int round) =>
        round == 0 ? $"offboarding-batch-{index:D5}.json" : $"offboarding-batch-{index:D5}-round-{round:D3}.json";

    public override async Task<BulkRevocationResult> RunAsync(TaskActivityContext context, SiteBatch batch)
    {
        string record = RecordName(batch.Index, batch.Round);
        if (await evidence.FindAsync(batch.IncidentId, record, "application/json", CustodyNote.ByStore, CancellationToken.None) is { } done)
        {
            return JsonSerializer.Deserialize<BulkRevocationResult>(done, CordonJson.Options)!;
        }

        IReadOnlyList<string> slice;
        if (batch.Round > 0 && batch.Accounts is not null)
        {
            slice = batch.Accounts;
        }
        else
        {
            IReadOnlyList<string> site = await SiteAccountsAsync(batch);
            bool last = batch.Batches is { } batches && batch.Index == batches - 1;
            slice = site.Skip(batch.Index * batch.Size).Take(last ? int.MaxValue : batch.Size).ToList();
        }

        BulkRevocationResult result = await access.RevokeAccountsAsync(slice, CancellationToken.None);
        await evidence.PutAsync(batch.IncidentId, record, JsonSerializer.SerializeToUtf8Bytes(result, CordonJson.Options), "application/json", CancellationToken.None);
        return result;
    }

    /// <summary>The write-once list of the site's accounts the offboarding revokes (evidence of whom it covered).</summary>
    public const string AccountsItem = "offboarding-accounts.json";

    /// <summary>
    /// The site's accounts as the offboarding's first batch found them: its synced directory roster when it names a group,
    /// else the world's agents. Every batch slices this one list. Resolved per batch, slices shifted when the list changed
    /// in between (an agent left: another was in no slice) and the batch count planned at intake left a grown site's
    /// newcomers out (found by an attack); the last batch now takes the rest of the list. An empty list is never stored
    /// while the site counts accounts (found by an attack: a roster emptied by a failed re-read was stored write-once, and the
    /// compromised site was never revoked): the step fails and is retried, then waits for an operator, until the roster settles.
    /// </summary>
    Task<List<string>> SiteAccountsAsync(SiteBatch batch) =>
        evidence.FirstAsync<List<string>>(batch.IncidentId, AccountsItem, async () =>
        {
            if (roster is null)
            {
                return (world.Value.World.FindSite(batch.SiteId) ?? throw new InvalidOperationException($"site {batch.SiteId} is not in the world"))
                    .Site.AllAgents().Select(a => a.UserPrincipalName).ToList();
            }

            List<string> accounts = [.. await roster.AccountsAsync(batch.SiteId, CancellationToken.None)];
            if (accounts.Count == 0 && await roster.CountAsync(batch.SiteId, CancellationToken.None) is > 0 and int counted)
            {
                throw new Cordon.Roster.RosterUnsettledException($"site {batch.SiteId} lists no accounts to offboard while it counts {counted}; " +
                    $"{AccountsItem} is not stored until its roster settles");
            }

            return accounts;
        },
            new CustodyNote("cordon/RevokeSiteBatch", "site accounts to offboard"));
}
