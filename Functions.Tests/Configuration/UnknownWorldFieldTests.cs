using Cordon.Configuration;

namespace Cordon.Tests.Configuration;

/// <summary>
/// The world, like the policy, refuses a field it does not know (found by an attack: a mistyped "directoryGroup" was
/// ignored, and the site silently kept offboarding only its listed agents).
/// </summary>
public sealed class UnknownWorldFieldTests
{
    static string SampleWorld => File.ReadAllText(Repo.Path("samples/world.json"));

    [Fact]
    [Trait("Category", "Unit")]
    public void A_mistyped_world_field_is_refused_naming_it_and_the_last_good_world_stays()
    {
        var live = new LiveConfiguration(new FixedDocument(SampleWorld, "world.json"), new FixedDocument(null, "defaults"), TimeProvider.System);
        JsonNode world = JsonNode.Parse(SampleWorld, null, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        world["vendors"]![0]!["sites"]![0]!["directoryGroup"] = "6f1f6c2e-0b7a-4c55-9d3e-2a8f2d4c1b10";

        ConfigurationProblem? problem = live.Apply(LiveConfiguration.WorldDocument, new DocumentRead(world.ToJsonString(), "sha256:typo"));

        Assert.NotNull(problem);
        Assert.Contains(problem.Errors, e => e.Contains("directoryGroup", StringComparison.Ordinal) && e.Contains("vendors[0].sites[0]", StringComparison.Ordinal));
        Assert.Null(problem.Errors.FirstOrDefault(e => e.Contains("Consider", StringComparison.Ordinal)));
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData("samples/world.json")]
    [InlineData("config/world.json")]
    public void The_shipped_worlds_still_load(string path) =>
        Assert.NotEmpty(WorldModel.ParseValid(File.ReadAllText(Repo.Path(path)), path).Vendors);
}
