using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting;

/// <summary>The resources of an application, in the order they were added.</summary>
public sealed class DistributedApplicationModel(IReadOnlyList<IResource> resources)
{
    public IReadOnlyList<IResource> Resources { get; } = resources;

    public IResource this[string name] =>
        Resources.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw ResourceCollection.UnknownResource(name, Resources);

    /// <summary>
    /// What <paramref name="resource"/> depends on: its waits, references and parent. A Redis with Sentinels also
    /// depends on nothing extra, but waiting for it means waiting for its Sentinels (clients connect through them).
    /// </summary>
    public IEnumerable<IResource> DependenciesOf(IResource resource)
    {
        var deps = new List<IResource>();
        if (resource is IResourceWithParent child)
        {
            deps.Add(child.Parent);
        }

        deps.AddRange(resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource));
        deps.AddRange(resource.Annotations.OfType<ResourceRelationshipAnnotation>().Select(r => r.Resource));
        return deps.Where(d => !ReferenceEquals(d, resource)).Distinct();
    }

    public IEnumerable<IResource> DependentsOf(IResource resource) =>
        Resources.Where(r => DependenciesOf(r).Contains(resource));

    /// <summary>Throws when dependencies form a cycle (nothing could start).</summary>
    public void ValidateNoCycles()
    {
        var state = new Dictionary<IResource, int>();
        foreach (var r in Resources)
        {
            Visit(r, []);
        }

        void Visit(IResource r, List<IResource> path)
        {
            if (state.GetValueOrDefault(r) == 2)
            {
                return;
            }

            if (state.GetValueOrDefault(r) == 1)
            {
                var cycle = path.SkipWhile(p => p != r).Append(r).Select(p => p.Name);
                throw new DistributedApplicationException($"The resources depend on each other in a cycle: {string.Join(" -> ", cycle)}.");
            }

            state[r] = 1;
            path.Add(r);
            foreach (var d in DependenciesOf(r))
            {
                Visit(d, path);
            }

            path.RemoveAt(path.Count - 1);
            state[r] = 2;
        }
    }

    /// <summary>Resources in start order (dependencies first); stop order is the reverse.</summary>
    public IReadOnlyList<IResource> StartOrder()
    {
        var ordered = new List<IResource>();
        var seen = new HashSet<IResource>();
        foreach (var r in Resources)
        {
            Add(r);
        }

        return ordered;

        void Add(IResource r)
        {
            if (!seen.Add(r))
            {
                return;
            }

            foreach (var d in DependenciesOf(r))
            {
                Add(d);
            }

            ordered.Add(r);
        }
    }
}
