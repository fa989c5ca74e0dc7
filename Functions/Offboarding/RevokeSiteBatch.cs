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
        if (await evidence.GetAsync(batch.IncidentId, record, CancellationToken.None) is { } done)
        {
            return JsonSerializer.Deserialize<BulkRevocationResult>(done, CordonJson.Options)!;
        }

        // The site's accounts: its synced directory roster when it names a group, else the world's agents.
        IReadOnlyList<string> slice = batch.Round > 0 && batch.Accounts is not null
            ? batch.Accounts
            : roster is not null
            ? await roster.SliceAsync(batch.SiteId, batch.Index, batch.Size, CancellationToken.None)
            : (world.Value.World.FindSite(batch.SiteId) ?? throw new InvalidOperationException($"site {batch.SiteId} is not in the world"))
                .Site.AllAgents().Skip(batch.Index * batch.Size).Take(batch.Size).Select(a => a.UserPrincipalName).ToList();
        BulkRevocationResult result = await access.RevokeAccountsAsync(slice, CancellationToken.None);
        await evidence.PutAsync(batch.IncidentId, record, JsonSerializer.SerializeToUtf8Bytes(result, CordonJson.Options), "application/json", CancellationToken.None);
        return result;
    }
}
