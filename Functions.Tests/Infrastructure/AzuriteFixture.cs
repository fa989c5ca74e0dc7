using Cordon.Local.Bench;

namespace Cordon.Tests;

/// <summary>
/// Azurite (installed by the test command with `npm ci`) on free loopback ports, with its own data folder:
/// the same private instance the benchmark starts. A missing Azurite fails the tests that need it:
/// CI never skips them silently.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    PrivateAzurite? azurite;

    public string ConnectionString => azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite is not started");

    public async Task InitializeAsync() => azurite = await PrivateAzurite.StartAsync(Repo.Path(""));

    public Task DisposeAsync()
    {
        azurite?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Azurite-backed tests run alone: on two cores the storage provider's polling starves under the parallel suite.</summary>
[CollectionDefinition(nameof(AzuriteCollection), DisableParallelization = true)]
public sealed class AzuriteCollection;
