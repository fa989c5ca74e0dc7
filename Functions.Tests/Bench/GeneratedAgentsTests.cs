using Cordon.Local.Simulation;
using Cordon.World;

namespace Cordon.Tests.Bench;

/// <summary>Generated agents are a local world file's shorthand for large simulated sites; the product's world model lists agents only.</summary>
[Trait("Category", "Unit")]
public sealed class GeneratedAgentsTests
{
    const string World = """
        { "vendors": [ { "id": "v", "name": "V", "sites": [
            { "id": "big-1", "name": "Big", "agents": [ { "userPrincipalName": "listed@vendor.example" } ], "generatedAgents": 3 },
            { "id": "small-1", "name": "Small" } ] } ] }
        """;

    [Fact]
    public void Generated_agents_follow_the_listed_ones_in_a_stable_order()
    {
        Site site = WorldModel.Parse(GeneratedAgents.Expand(World), "test").FindSite("big-1")!.Value.Site;

        Assert.Equal(["listed@vendor.example", "agent00001.big-1@vendor.example", "agent00002.big-1@vendor.example", "agent00003.big-1@vendor.example"],
            site.Agents.Select(a => a.UserPrincipalName));
        Assert.Equal(4, site.AgentCount);
        Assert.Equal(["support-agents"], site.Agents[^1].Groups);
        Assert.Empty(WorldModel.Parse(GeneratedAgents.Expand(World), "test").FindSite("small-1")!.Value.Site.Agents);
    }

    [Fact]
    public void The_product_world_model_counts_only_listed_agents() =>
        Assert.Equal(1, WorldModel.Parse(World, "test").FindSite("big-1")!.Value.Site.AgentCount);

    [Fact]
    public void Negative_generated_agents_are_refused_naming_the_site() =>
        Assert.Contains("big-1: generatedAgents must not be negative",
            Assert.Throws<InvalidDataException>(() => GeneratedAgents.Expand(World.Replace("\"generatedAgents\": 3", "\"generatedAgents\": -1"))).Message);

    [Fact]
    public async Task The_local_world_document_lists_generated_agents_and_keeps_the_file_version()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("cordon-world-").FullName, "world.json");
        await File.WriteAllTextAsync(path, World);
        var document = new GeneratedAgents.WorldDocument(new Cordon.Configuration.FileDocument(path));

        Cordon.Configuration.DocumentRead read = (await document.ReadIfChangedAsync(null, default))!;

        Assert.Equal(Cordon.Configuration.ConfigurationDocument.Hash(World), read.Version);
        Assert.Equal(4, WorldModel.Parse(read.Content!, path).FindSite("big-1")!.Value.Site.AgentCount);
        Assert.Null(await document.ReadIfChangedAsync(read.Version, default));
    }
}
