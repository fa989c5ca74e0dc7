using System.Text.Json;
using System.Text.Json.Nodes;
using Cordon.Configuration;
using Cordon.World;

namespace Cordon.Local.Simulation;

/// <summary>
/// Large simulated sites for the local host, the bench and the simulator: a site in a local world file may say
/// <c>"generatedAgents": n</c>, and gets n agents (agent00001.{site}@vendor.example, …) after its listed ones,
/// in a stable order. The product's world model knows only listed agents: the expansion happens here, on the
/// document's text, before the product reads it.
/// </summary>
public static class GeneratedAgents
{
    const string Property = "generatedAgents";

    /// <summary>The world JSON with every site's generated agents listed; text that is not a world object is returned as it is (the product names the problem).</summary>
    public static string Expand(string worldJson)
    {
        JsonNode? world;
        try
        {
            world = JsonNode.Parse(worldJson, null, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException)
        {
            return worldJson;
        }

        bool changed = false;
        foreach (JsonObject site in Sites(world))
        {
            if (site[Property] is not JsonValue count || !count.TryGetValue(out int n))
            {
                continue;
            }

            string sitePath = (string?)site["id"] ?? "?";
            if (n < 0)
            {
                throw new InvalidDataException($"site {sitePath}: {Property} must not be negative");
            }

            var agents = site["agents"] as JsonArray ?? [];
            for (int i = 1; i <= n; i++)
            {
                agents.Add(new JsonObject
                {
                    ["userPrincipalName"] = $"agent{i:D5}.{sitePath}@vendor.example",
                    ["displayName"] = $"Agent {i}",
                    ["groups"] = new JsonArray("support-agents"),
                });
            }

            site.Remove(Property);
            site["agents"] = agents;
            changed = true;
        }

        return changed ? world!.ToJsonString() : worldJson;
    }

    /// <summary>A local world file, its generated agents listed.</summary>
    public static WorldModel Load(string path) => WorldModel.Parse(Expand(File.ReadAllText(path)), path);

    static IEnumerable<JsonObject> Sites(JsonNode? world) =>
        (world?["vendors"] as JsonArray ?? []).OfType<JsonObject>()
            .SelectMany(v => v["sites"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>A world document read through <see cref="Expand"/>: the local host's world file, still watched for new versions.</summary>
    public sealed class WorldDocument(ConfigurationDocument inner) : ConfigurationDocument
    {
        public override string Origin => inner.Origin;

        public override async Task<DocumentRead?> ReadIfChangedAsync(string? knownVersion, CancellationToken cancellationToken)
        {
            DocumentRead? read = await inner.ReadIfChangedAsync(knownVersion, cancellationToken);
            return read?.Content is { } content ? read with { Content = Expand(content) } : read;
        }
    }
}
