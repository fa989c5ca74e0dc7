using Azure.Core;
using Azure.Storage.Blobs;
using Cordon.Policy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cordon.Configuration;

public static class ConfigurationServiceCollectionExtensions
{
    /// <summary>
    /// The world and the response policy as live data (<see cref="LiveConfiguration"/>): blobs of
    /// <c>Cordon:Configuration:ContainerUri</c> in Azure, else the files <c>Cordon:WorldFile</c> / <c>Cordon:PolicyFile</c>,
    /// else the inline settings <c>Cordon:World</c> / <c>Cordon:Policy</c> (no policy: the defaults). Watched by
    /// <see cref="ConfigurationWatcher"/>; <c>IOptions&lt;WorldOptions&gt;</c> and <c>IOptions&lt;ResponsePolicyOptions&gt;</c>
    /// answer from the version in force. The watcher, a hosted service, loads it at start: an invalid configuration
    /// stops start-up naming the bad fields.
    /// </summary>
    public static IServiceCollection AddCordonConfiguration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSelfValidatingOptions<ConfigurationOptions>(configuration.GetSection(ConfigurationOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            ConfigurationOptions o = sp.GetRequiredService<IOptions<ConfigurationOptions>>().Value;
            (ConfigurationDocument world, ConfigurationDocument policy) = o.FromBlob ? Blobs(sp, o) : Local(configuration);
            return new LiveConfiguration(world, policy, sp.GetRequiredService<TimeProvider>());
        });
        services.RemoveAll<IOptions<WorldOptions>>();
        services.RemoveAll<IOptions<ResponsePolicyOptions>>();
        services.AddSingleton<IOptions<WorldOptions>>(sp => new Current<WorldOptions>(sp.GetRequiredService<LiveConfiguration>(), s => s.WorldOptions));
        services.AddSingleton<IOptions<ResponsePolicyOptions>>(sp => new Current<ResponsePolicyOptions>(sp.GetRequiredService<LiveConfiguration>(), s => s.PolicyOptions));
        services.AddSingleton<ConfigurationWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<ConfigurationWatcher>());
        services.AddHealthChecks().AddCheck<ConfigurationHealthCheck>("configuration");
        return services;
    }

    static (ConfigurationDocument, ConfigurationDocument) Local(IConfiguration configuration)
    {
        static ConfigurationDocument Pick(string? file, string? inline, string setting) =>
            !string.IsNullOrWhiteSpace(file) ? new FileDocument(file)
            : new FixedDocument(string.IsNullOrWhiteSpace(inline) ? null : inline, setting);
        ConfigurationDocument world = Pick(configuration["Cordon:WorldFile"], configuration["Cordon:World"], "Cordon:World");
        if (world is FixedDocument && string.IsNullOrWhiteSpace(configuration["Cordon:World"]))
        {
            world = new FixedDocument("{}", "Cordon:World (not set: an empty world)");
        }

        return (world, Pick(configuration["Cordon:PolicyFile"], configuration["Cordon:Policy"], "Cordon:Policy"));
    }

    static (ConfigurationDocument, ConfigurationDocument) Blobs(IServiceProvider sp, ConfigurationOptions o)
    {
        BlobContainerClient container = !string.IsNullOrWhiteSpace(o.ConnectionString)
            ? new BlobContainerClient(o.ConnectionString, o.Container)
            : new BlobContainerClient(o.ContainerUri!, sp.GetRequiredService<TokenCredential>());
        return (new BlobDocument(container.GetBlobClient(o.WorldBlob)), new BlobDocument(container.GetBlobClient(o.PolicyBlob)));
    }

    sealed class Current<T>(LiveConfiguration live, Func<ConfigurationSnapshot, T> pick) : IOptions<T>
        where T : class
    {
        public T Value => pick(live.Current);
    }
}

/// <summary>Healthy while the configuration in force is the newest one; degraded while a refused version waits for a fix.</summary>
public sealed class ConfigurationHealthCheck(LiveConfiguration live) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ConfigurationSnapshot s = live.Current;
        var data = new Dictionary<string, object> { ["version"] = s.Version, ["loadedAt"] = s.LoadedAt };
        IReadOnlyList<ConfigurationProblem> problems = live.Problems;
        // Gates nobody could decide, and gates whose quorum their chain's people cannot reach.
        IReadOnlyList<string> unstaffed = [.. GateStaffing.Problems(s.World, s.Policy), .. GateStaffing.Shortfalls(s.World, s.Policy)];
        if (problems.Count == 0 && unstaffed.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"loaded and valid: {s.Version}", data));
        }

        if (problems.Count == 0)
        {
            // Loaded, and unable to run an incident to its end unwatched: not healthy (an empty world, a policy naming absent
            // roles, a vendor gate needing two people with one listed).
            data["unstaffed"] = unstaffed;
            return Task.FromResult(HealthCheckResult.Degraded($"in force, but {string.Join("; ", unstaffed)}: {s.Version}", data: data));
        }

        data["refused"] = problems;
        return Task.FromResult(HealthCheckResult.Degraded(
            $"refused: {string.Join(" | ", problems.Select(p => $"{p.Document} {p.Version}: {string.Join("; ", p.Errors)}"))}; in force: {s.Version}", data: data));
    }
}
