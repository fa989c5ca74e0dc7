using Cordon.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cordon.Tests.Configuration;

/// <summary>
/// A world and a policy that leave a gate with nobody to ask (found by an attack: a world of <c>{}</c> loaded as healthy,
/// and every incident's confirmation was mailed to no one and expired): the health check says so, and a new version that
/// would leave a staffed gate with nobody is refused, the last good one staying in force.
/// </summary>
[Trait("Category", "Unit")]
public sealed class GateStaffingTests
{
    static string SampleWorld => File.ReadAllText(Repo.Path("samples/world.json"));

    [Fact]
    public async Task An_empty_world_is_not_healthy_and_the_check_names_every_gate_nobody_could_decide()
    {
        var live = new LiveConfiguration(new FixedDocument("{}", "world.json"), new FixedDocument(null, "defaults"), TimeProvider.System);

        HealthCheckResult result = await new ConfigurationHealthCheck(live).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("nobody could decide the confirm gate", result.Description, StringComparison.Ordinal);
        Assert.Contains("securityLead, deputy, ciso", result.Description, StringComparison.Ordinal);
        Assert.Contains("nobody could decide the notify gate", result.Description, StringComparison.Ordinal);
        Assert.Contains("nobody could decide the vendorOffboarding gate", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_world_without_approvers_is_refused_and_the_last_good_world_stays()
    {
        var live = new LiveConfiguration(new FixedDocument(SampleWorld, "world.json"), new FixedDocument(null, "defaults"), TimeProvider.System);
        Assert.Equal(HealthStatus.Healthy, (await new ConfigurationHealthCheck(live).CheckHealthAsync(new HealthCheckContext())).Status);
        JsonNode world = JsonNode.Parse(SampleWorld, null, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        world.AsObject().Remove("approvers");

        ConfigurationProblem? problem = live.Apply(LiveConfiguration.WorldDocument, new DocumentRead(world.ToJsonString(), "sha256:no-approvers"));

        Assert.NotNull(problem);
        Assert.Contains(problem.Errors, e => e.Contains("nobody could decide the confirm gate", StringComparison.Ordinal));
        Assert.NotEmpty(live.Current.World.ApproversFor("securityLead"));
    }

    [Fact]
    public async Task A_world_whose_vendor_gate_chain_lists_one_person_for_a_quorum_of_two_is_not_healthy_but_is_applied()
    {
        var live = new LiveConfiguration(new FixedDocument(SampleWorld, "world.json"), new FixedDocument(null, "defaults"), TimeProvider.System);
        JsonNode world = JsonNode.Parse(SampleWorld, null, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        // Both vendor managers leave; the CISO alone is left on the vendor-offboarding chain, which needs two people.
        world["approvers"]!.AsObject().Remove("vendorManagement");

        // Applied: refusing it would keep the leavers able to decide.
        Assert.Null(live.Apply(LiveConfiguration.WorldDocument, new DocumentRead(world.ToJsonString(), "sha256:vendor-managers-left")));
        Assert.Empty(live.Current.World.ApproversFor("vendorManagement"));
        HealthCheckResult result = await new ConfigurationHealthCheck(live).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("the vendorOffboarding gate needs 2 distinct approvers and the world lists 1", result.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("confirm gate", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chain_with_one_staffed_role_is_enough_its_empty_steps_escalate()
    {
        WorldModel world = WorldModel.ParseValid(SampleWorld, "world.json") with
        {
            Approvers = new Dictionary<string, IReadOnlyList<string>> { ["ciso"] = ["cleo.ciso@cordon-customer.example"] },
        };

        Assert.Empty(GateStaffing.Problems(world, Cordon.Policy.ResponsePolicy.Default));
    }
}
