namespace Cordon.Adapters.Graph;

/// <summary>Settings of the Microsoft Graph access-control adapter (configuration section <c>Cordon:Graph</c>).</summary>
public sealed class GraphOptions : ISelfValidatingOptions
{
    public const string Section = "Cordon:Graph";

    /// <summary>Graph endpoint including the version segment; national clouds use their own host.</summary>
    public string BaseUrl { get; set; } = "https://graph.microsoft.com/v1.0";

    /// <summary>Entra tenant the credential authenticates against (optional with a managed identity).</summary>
    public string? TenantId { get; set; }

    /// <summary>Client id of a user-assigned managed identity; defaults to the AZURE_CLIENT_ID environment variable.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Retries of one request (or one $batch item) answered 429/502/503/504 or failing in transit.</summary>
    public int MaxRetries { get; set; } = 6;

    /// <summary>First back-off step when a throttled answer carries no Retry-After; doubled per attempt.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one request may take before it counts as failed in transit (and is retried).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Upper bound of any single wait (back-off or Retry-After).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// When a bulk response reports <c>x-ms-throttle-limit-percentage</c> at or above this share of the
    /// app's budget (Graph sends it from 0.8 = 80 %), the next $batch waits <see cref="SlowDownPause"/> first.
    /// </summary>
    public double SlowDownAtPercent { get; set; } = 80;

    /// <summary>Pause before the next $batch at <see cref="SlowDownAtPercent"/>; grows linearly to twice this at 100 %.</summary>
    public TimeSpan SlowDownPause { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests per JSON $batch (Graph's maximum is 20).</summary>
    public int BatchSize { get; set; } = MaxBatchSize;

    public const int MaxBatchSize = 20;

    internal int EffectiveBatchSize => Math.Clamp(BatchSize, 1, MaxBatchSize);

    internal Uri BaseUri => new(BaseUrl.TrimEnd('/'), UriKind.Absolute);

    /// <summary>Problems with the settings, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback))
        {
            problems.Add($"{Section}:BaseUrl must be an absolute https URL (loopback http only for tests), got '{BaseUrl}'");
        }

        if (MaxRetries < 0)
        {
            problems.Add($"{Section}:MaxRetries must not be negative");
        }

        if (BatchSize is < 1 or > MaxBatchSize)
        {
            problems.Add($"{Section}:BatchSize must be between 1 and {MaxBatchSize}");
        }

        if (SlowDownAtPercent is <= 0 or > 180)
        {
            problems.Add($"{Section}:SlowDownAtPercent must be in (0, 180]");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{Section}:RequestTimeout must be positive");
        }

        if (RetryBaseDelay < TimeSpan.Zero || MaxRetryDelay < TimeSpan.Zero || SlowDownPause < TimeSpan.Zero)
        {
            problems.Add($"{Section}: delays must not be negative");
        }

        return problems;
    }
}
