using Azure.Storage.Blobs;
using Cordon.Configuration;

namespace Cordon.Tests.Configuration;

/// <summary>The Azure configuration source on Azurite: the world blob is read again only when its ETag changed.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class BlobConfigurationTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Blob_is_read_again_only_when_its_etag_changed_and_a_new_version_replaces_the_world()
    {
        var container = new BlobContainerClient(azurite.ConnectionString, "config-" + Guid.NewGuid().ToString("N")[..12]);
        await container.CreateAsync();
        BlobClient worldBlob = container.GetBlobClient("world.json");
        await worldBlob.UploadAsync(BinaryData.FromString("""{ "operators": ["soc@example.com"] }"""));
        var live = new LiveConfiguration(new BlobDocument(worldBlob), new FixedDocument(null, "defaults"), TimeProvider.System);
        string first = live.Current.WorldVersion;

        Assert.Null(await live.World.ReadIfChangedAsync(first, CancellationToken.None)); // 304: unchanged

        await worldBlob.UploadAsync(BinaryData.FromString("""{ "operators": ["night@example.com"] }"""), overwrite: true);
        DocumentRead changed = (await live.World.ReadIfChangedAsync(first, CancellationToken.None))!;
        Assert.NotEqual(first, changed.Version);
        Assert.Null(live.Apply(LiveConfiguration.WorldDocument, changed));
        Assert.Equal(["night@example.com"], live.Current.World.Operators);

        await worldBlob.UploadAsync(BinaryData.FromString("""{ "operators": ["nobody"] }"""), overwrite: true);
        DocumentRead broken = (await live.World.ReadIfChangedAsync(changed.Version, CancellationToken.None))!;
        ConfigurationProblem problem = live.Apply(LiveConfiguration.WorldDocument, broken)!;
        Assert.Contains("operators[0] 'nobody' is not an e-mail address", problem.Errors);
        Assert.Equal(["night@example.com"], live.Current.World.Operators);
        Assert.Equal(changed.Version, live.Current.WorldVersion);
    }
}
