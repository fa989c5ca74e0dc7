using System.Text.Json;
using Cordon.Connectors;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace Cordon.Offboarding;

/// <summary>
/// Revokes one slice of a vendor site's accounts. The slice is resolved here, not passed in, so a
/// 5,000-agent site never puts 5,000 names into the orchestration history. Each finished batch is
/// recorded write-once with the evidence: a batch run again (the host crashed before the step was
/// recorded) answers from the record instead of revoking, and spending Graph's write budget, twice.
/// </summary>
public sealed class RevokeSiteBatch(IAccessControl access, IEvidenceStore evidence, IOptions<WorldOptions> world) : TaskActivity<SiteBatch, BulkRevocationResult>
{
    [Function(nameof(RevokeSiteBatch))]
    public Task<BulkRevocationResult> Run([ActivityTrigger] SiteBatch batch) => RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch);

    public override async Task<BulkRevocationResult> RunAsync(TaskActivityContext context, SiteBatch batch)
    {
        string record = $"offboarding-batch-{batch.Index:D5}.json"; // an incident offboards one site
        if (await evidence.GetAsync(batch.IncidentId, record, CancellationToken.None) is { } done)
        {
            return JsonSerializer.Deserialize<BulkRevocationResult>(done, World.Json)!;
        }

        var site = world.Value.World.FindSite(batch.SiteId) ?? throw new InvalidOperationException($"site {batch.SiteId} is not in the world");
        var slice = site.Site.AllAgents().Skip(batch.Index * batch.Size).Take(batch.Size).Select(a => a.UserPrincipalName).ToList();
        BulkRevocationResult result = await access.RevokeAccountsAsync(slice, CancellationToken.None);
        await evidence.PutAsync(batch.IncidentId, record, JsonSerializer.SerializeToUtf8Bytes(result, World.Json), "application/json", CancellationToken.None);
        return result;
    }
}
