using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Cordon.Behaviour;
using Cordon.Connectors;
using Cordon.Connectors.Blob;
using Cordon.Evidence;
using Cordon.Local.Connectors;
using Cordon.Local.Simulation;

namespace Cordon.Local.Bench;

/// <summary>
/// The behaviour monitor scenario: one simulated site's telemetry per seed, each on a fresh host (on Azurite a
/// fresh task hub, behaviour table and evidence container), so no agent's baseline or open alert stream carries
/// over from one seed to the next. Scored with the same run as the <c>simulate</c> command.
/// </summary>
public static class BehaviourBench
{
    const string VendorId = "bench-bpo";
    const string SiteId = "bench-behaviour";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Two clients, like the sample site the simulator was tuned on; the default policy.</summary>
    static string WorldJson(int agents) => JsonSerializer.Serialize(new
    {
        clients = new[] { "bench-bank", "bench-pay" }.Select(id => new
        {
            id, name = id, securityContacts = new[] { $"security@{id}.example" }, jurisdictions = new[] { "GDPR" }, contractNoticeHours = 24, sessionLifetimeMinutes = 480,
        }),
        vendors = new[]
        {
            new
            {
                id = VendorId, name = "Bench BPO", contacts = new[] { "vendor-management@bench-bpo.example" },
                sites = new[] { new { id = SiteId, name = "Bench behaviour site", clientIds = new[] { "bench-bank", "bench-pay" }, generatedAgents = agents } },
            },
        },
        approvers = new Dictionary<string, string[]>
        {
            ["securityLead"] = ["lead@bench.example"],
            ["deputy"] = ["deputy@bench.example"],
            ["ciso"] = ["ciso@bench.example"],
            ["legal"] = ["legal@bench.example"],
            ["vendorManagement"] = ["vm1@bench.example", "vm2@bench.example"],
        },
        operators = new[] { "soc@bench.example" },
    }, Json);

    public static async Task<BehaviourSeedFigures> RunSeedAsync(StoreKind store, PrivateAzurite? azurite, BehaviourSizes sizes, int seed, CancellationToken ct)
    {
        string dataDir = Directory.CreateTempSubdirectory("cordon-bench-behaviour-").FullName;
        try
        {
            string worldPath = Path.Combine(dataDir, "bench-world.json");
            await File.WriteAllTextAsync(worldPath, WorldJson(sizes.Agents), ct);
            var settings = new LocalSettings
            {
                Urls = $"http://127.0.0.1:{PrivateAzurite.FreePort()}",
                DataDir = dataDir,
                WorldPath = worldPath,
                Store = store,
                StorageConnectionString = azurite?.ConnectionString ?? LocalSettings.AzuriteDevelopment,
                TaskHub = $"behaviour{seed}",
                Quiet = true,
            };
            await using LocalHost host = await LocalHost.StartAsync(settings, services =>
            {
                services.AddSingleton(sp => new SimulatedDirectory(sp.GetRequiredService<IOptions<WorldOptions>>().Value.World, statePath: null, sp.GetRequiredService<TimeProvider>()));
                if (azurite is not null)
                {
                    // The hub is fresh per seed; the behaviour table and the evidence container must be too (incident ids derive from the subject).
                    services.PostConfigure<BehaviourOptions>(o => o.TableName = $"cordonbehaviour{seed}");
                    services.AddSingleton<IEvidenceStore>(sp => new BlobEvidenceStore(new BlobContainerClient(azurite.ConnectionString, $"evidence-behaviour{seed}"),
                        sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<BlobEvidenceStore>()));
                }
            });
            using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) }.SignedInAs("bench", Cordon.Operators.OperatorRoles.Reader);

            // Simulated time ends before now, as in the simulate command: the monitor scores on event time.
            DateTimeOffset start = new(TimeProvider.System.GetUtcNow().UtcDateTime.AddHours(-sizes.Hours).Date, TimeSpan.Zero);
            World world = World.Load(worldPath);
            SiteSimulation sim = SiteSimulation.Generate(world, SiteId, sizes.Agents, sizes.Hours, sizes.Insiders, seed, start);
            var wall = Stopwatch.StartNew();
            SimulationReport r = await SimulationRun.RunAsync(http, sim, BehaviourSizes.BatchSize, progress: null, ct);
            return new BehaviourSeedFigures(seed, r.Events, r.Accepted, r.Insiders.Count, r.Caught.Count, r.FalsePositives.Count, r.Precision, r.Recall,
                r.Caught.Select(u => r.DetectionDelay.TryGetValue(u, out TimeSpan d) ? d.TotalMinutes : double.NaN).ToList(),
                r.EventsPerSecondIntoState, r.Posting.TotalSeconds, wall.Elapsed.TotalSeconds);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
                // evidence files still held open: the temporary folder is left behind
            }
        }
    }
}
