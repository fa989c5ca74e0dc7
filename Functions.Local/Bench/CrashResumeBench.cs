using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Cordon.Incidents;

namespace Cordon.Local.Bench;

/// <summary>
/// Crash-resume on the Azure Storage provider: the local host runs as a child process on a private Azurite; with an
/// incident contained and waiting at the confirmation gate the process tree is killed, a new host is started on the
/// same task hub, and an operator decision is posted to it as soon as it answers. Measured: kill → new host answering,
/// decision → decision taking effect (the incident's "operator decision" entry), and kill → effect.
/// </summary>
public static class CrashResumeBench
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<CrashFigures> RunAsync(BenchSizes sizes, string repositoryRoot, Action<int> progress, CancellationToken ct)
    {
        var restart = new List<double>();
        var decisionToEffect = new List<double>();
        var killToEffect = new List<double>();
        using PrivateAzurite azurite = await PrivateAzurite.StartAsync(repositoryRoot, inMemory: BenchTuning.AzuriteInMemory);
        string dataDir = BenchScratch.NewFolder("cordon-bench-crash-");
        string url = $"http://127.0.0.1:{LoopbackPort.Free()}";
        string world = Path.Combine(dataDir, "bench-world.json"), policy = Path.Combine(dataDir, "bench-policy.json");
        await File.WriteAllTextAsync(world, StoreBench.WorldJson(url, sizes), ct);
        await File.WriteAllTextAsync(policy, StoreBench.PolicyJson, ct);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        // The incidents API needs a signed-in operator (the local host reads Easy Auth's header from loopback callers);
        // without it every read is 401 and the host never looks up.
        http.DefaultRequestHeaders.Add(Cordon.Operators.OperatorPrincipal.Header,
            Cordon.Operators.OperatorPrincipal.Encode("bench-operator", "bench-operator@bench.example", [Cordon.Operators.OperatorRoles.Operator], "local"));
        Process? host = null;
        try
        {
            host = await StartAsync(http, url, azurite.ConnectionString, world, policy, dataDir, ct);
            for (int i = 0; i < sizes.CrashRepeats; i++)
            {
                string subject = StoreBench.Agent(StoreBench.BurstSite, sizes.SubjectPool - i);
                using HttpResponseMessage sent = await http.PostAsync("/api/alerts",
                    new StringContent(StoreBench.AlertJson(900_000 + i, subject, StoreBench.BurstSite, withClient: true), System.Text.Encoding.UTF8, "application/json"), ct);
                string id = JsonDocument.Parse(await sent.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("incidentId").GetString()!;
                await WaitAsync(http, id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"), ct);

                var clock = Stopwatch.StartNew();
                await KillAsync(host);
                host = await StartAsync(http, url, azurite.ConnectionString, world, policy, dataDir, ct);
                double up = clock.Elapsed.TotalSeconds;
                using HttpResponseMessage decided = await http.PostAsJsonAsync($"/api/incidents/{id}/actions",
                    new OperatorAction("decide", "bench", "benchmark: decided right after a crash", "approve"), Json, ct);
                decided.EnsureSuccessStatusCode();
                double decidedAt = clock.Elapsed.TotalSeconds;
                await WaitAsync(http, id, d => d.Timeline.Any(t => t.Step == "operator decision"), ct);
                double effect = clock.Elapsed.TotalSeconds;
                restart.Add(up);
                decisionToEffect.Add(effect - decidedAt);
                killToEffect.Add(effect);
                progress(i + 1);
            }

            return new CrashFigures(sizes.CrashRepeats, Percentiles.Of(restart), Percentiles.Of(decisionToEffect), Percentiles.Of(killToEffect), null);
        }
        catch (Exception ex) when (ex is TimeoutException or HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            return new CrashFigures(sizes.CrashRepeats, Percentiles.Of(restart), Percentiles.Of(decisionToEffect), Percentiles.Of(killToEffect), ex.Message);
        }
        finally
        {
            if (host is not null)
            {
                await KillAsync(host);
                host.Dispose();
            }

            BenchScratch.DeleteLater(dataDir);
        }
    }

    static async Task<Process> StartAsync(HttpClient http, string url, string storage, string world, string policy, string dataDir, CancellationToken ct)
    {
        ProcessStartInfo info = HostProcess.StartInfo(["--store", "azurite", storage, "--world", world, "--policy", policy,
            "--data-dir", dataDir, "--urls", url, "--task-hub", "benchcrash", "--quiet"]);
        info.RedirectStandardOutput = info.RedirectStandardError = true;

        OptimizedCode.AsCordonRuns(info); // the restart measured is the host's as cordon starts it
        var p = Process.Start(info) ?? throw new InvalidOperationException("could not start the local host");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (p.HasExited)
            {
                throw new InvalidOperationException($"the local host exited with {p.ExitCode} at start");
            }

            try
            {
                using HttpResponseMessage r = await http.GetAsync("/api/incidents?pageSize=1", ct);
                if (r.IsSuccessStatusCode)
                {
                    return p;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (DateTime.UtcNow > deadline)
            {
                await KillAsync(p);
                throw new TimeoutException($"the local host did not answer {url} within 90 s");
            }

            await Task.Delay(50, ct);
        }
    }

    // Awaited, not waited for: the host's output is read through the socket event thread, which this code may be on
    // (InlineSocketCompletions); a blocking wait for the end of that output there would never return.
    static async Task KillAsync(Process p)
    {
        if (!p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(CancellationToken.None);
        }
    }

    static async Task WaitAsync(HttpClient http, string id, Func<IncidentDetail, bool> condition, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            IncidentDetail? d = await http.GetFromJsonAsync<IncidentDetail>($"/api/incidents/{id}", Json, ct);
            if (d is not null && condition(d))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"incident {id} stayed at {d?.Stage} for 5 min after the crash");
            }

            await Task.Delay(50, ct);
        }
    }
}
