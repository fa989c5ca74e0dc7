// Planted violations the architecture rules must find (DependencyRulesTests runs each rule on these types too).
// FeatureA and FeatureB depend on each other; FeatureB uses the root (registration); FeatureC uses a concrete adapter; World references a feature;
// workflow code (Incidents) uses the frozen v1 version, which only the registration may name.
namespace Cordon.Tests.Architecture.Planted.FeatureA
{
    public sealed class UsesB(Cordon.Tests.Architecture.Planted.FeatureB.UsesA other)
    {
        public object Other { get; } = other;
    }
}

namespace Cordon.Tests.Architecture.Planted.FeatureB
{
    public sealed class UsesA(Cordon.Tests.Architecture.Planted.FeatureA.UsesB? other, Cordon.Tests.Architecture.Planted.Registration? registration)
    {
        public object? Other { get; } = other;

        public object? Registration { get; } = registration;
    }
}

namespace Cordon.Tests.Architecture.Planted
{
    /// <summary>Stands for the hosts' composition in the root namespace.</summary>
    public sealed class Registration;
}

namespace Cordon.Tests.Architecture.Planted.FeatureC
{
    public sealed class UsesAdapter(Cordon.Tests.Architecture.Planted.Adapters.ConcreteStore store)
    {
        public object Store { get; } = store;
    }
}

namespace Cordon.Tests.Architecture.Planted.Adapters
{
    public sealed class ConcreteStore;
}

namespace Cordon.Tests.Architecture.Planted.World
{
    public sealed class WorldThatKnowsAFeature(Cordon.Tests.Architecture.Planted.FeatureA.UsesB feature)
    {
        public object Feature { get; } = feature;
    }
}

namespace Cordon.Tests.Architecture.Planted.Incidents.V1
{
    public sealed class FrozenRun;
}

namespace Cordon.Tests.Architecture.Planted.Incidents
{
    public sealed class UsesFrozenVersion(Cordon.Tests.Architecture.Planted.Incidents.V1.FrozenRun run)
    {
        public object Run { get; } = run;
    }
}

namespace Cordon.Tests.Architecture.Planted
{
    /// <summary>Stands for the hosts' registration of every version, the frozen one included (allowed).</summary>
    public sealed class RegistersFrozenVersion(Cordon.Tests.Architecture.Planted.Incidents.V1.FrozenRun run)
    {
        public object Run { get; } = run;
    }
}
