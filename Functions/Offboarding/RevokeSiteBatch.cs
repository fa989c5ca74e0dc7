using Cordon.Connectors;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;

namespace Cordon.Offboarding;

/// <summary>
/// Revokes one slice of a vendor site's accounts. The slice is resolved here, not passed in, so a
/// 5,000-agent site never puts 5,000 names into the orchestration history.
/// </summary>
public sealed class RevokeSiteBatch(IAccessControl access, IOptions<WorldOptions> world) : TaskActivity<SiteBatch, BulkRevocationResult>
{
    [Function(nameof(RevokeSiteBatch))]
    public Task<BulkRevocationResult> Run([ActivityTrigger] SiteBatch batch) => RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch);

    public override Task<BulkRevocationResult> RunAsync(TaskActivityContext context, SiteBatch batch)
    {
        var site = world.Value.World.FindSite(batch.SiteId) ?? throw new InvalidOperationException($"site {batch.SiteId} is not in the world");
        var slice = site.Site.AllAgents().Skip(batch.Index * batch.Size).Take(batch.Size).Select(a => a.UserPrincipalName).ToList();
        return access.RevokeAccountsAsync(slice, CancellationToken.None);
    }
}
