using System.Globalization;
using Platform.Hosting.Publishing.Model;
using static Platform.Hosting.Publishing.Helm.HelmText;

namespace Platform.Hosting.Publishing.Helm;

/// <summary>
/// A Helm chart in the shape of Aspire's Kubernetes publisher (Chart.yaml, values.yaml, templates/&lt;resource&gt;/&lt;kind&gt;.yaml):
/// a Deployment per project, a StatefulSet per container and per project with a volume, a Service named after the
/// resource (so that every name in the model resolves), an Ingress per external HTTP endpoint. Parameters live in one
/// Secret (generated on install, read back with <c>lookup</c> on upgrade) and one ConfigMap; values that embed a
/// parameter are composed by the kubelet from <c>$(VAR)</c> references, so no secret is ever written into the chart.
/// </summary>
internal static class HelmChartWriter
{
    public static async Task<IReadOnlyList<string>> WriteAsync(PublishedApplication application, string directory, CancellationToken cancellationToken)
    {
        var files = new HelmChart(application).Build();

        // Templates of resources that left the model must not linger from an earlier publish.
        var templates = Path.Combine(directory, "templates");
        if (Directory.Exists(templates))
        {
            Directory.Delete(templates, recursive: true);
        }

        foreach (var (path, text) in files)
        {
            var full = Path.Combine(directory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, text, cancellationToken).ConfigureAwait(false);
        }

        return [.. files.Keys];
    }
}

internal sealed class HelmChart(PublishedApplication application)
{
    private readonly SortedDictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly YMap _images = [];
    private readonly YMap _config = [];
    private readonly YMap _secrets = [];
    private readonly YMap _hosts = [];

    private string Chart => application.Name;

    public string ParametersName => $"{Chart}-parameters";

    public IReadOnlyDictionary<string, string> Build()
    {
        _files["Chart.yaml"] = Yaml.Write(new YMap
        {
            { "apiVersion", "v2" },
            { "name", Chart },
            { "version", "0.1.0" },
            { "kubeVersion", ">= 1.25.0-0" },
            { "description", $"{Chart}, published from its Aspire application model" },
            { "type", "application" },
            { "keywords", new List<object?> { "aspire", "kubernetes" } },
            { "appVersion", "0.1.0" },
            { "deprecated", false },
        });

        AddParameters();
        foreach (var workload in application.Workloads)
        {
            AddWorkload(workload);
        }

        var values = new YMap { { "parameters", _images } };
        if (_secrets.Count > 0)
        {
            values.Add("secrets", _secrets);
        }

        values.Add("config", _config);
        values.Add("otlp", new YMap { { "endpoint", string.Empty }, { "protocol", "grpc" } });
        values.Add("storage", new YMap { { "size", "1Gi" }, { "className", string.Empty } });
        values.Add("ingress", new YMap { { "enabled", true }, { "className", string.Empty }, { "hosts", _hosts } });
        _files["values.yaml"] = Yaml.Write(values,
            $"# Values of the {Chart} chart, written from its AppHost model.\n" +
            $"# Generated secrets are not here: the chart generates them on install into the Secret '{ParametersName}' and reads them\n" +
            "# back on every upgrade. Project images: parameters.<resource>.<resource>_image (build them with dotnet publish -t:PublishContainer).");
        return _files;
    }

    private YMap Labels(string component) => new()
    {
        { "app.kubernetes.io/name", Chart },
        { "app.kubernetes.io/component", component },
        { "app.kubernetes.io/instance", Template(".Release.Name") },
    };

    private YMap Metadata(string name, string component) => new() { { "name", name }, { "labels", Labels(component) } };

    private void AddFile(string component, string kind, YMap document) =>
        _files[$"templates/{component}/{kind}.yaml"] = "---\n" + Yaml.Write(document);

    /// <summary>
    /// Secret parameters: one Secret whose values are generated on the first install (or taken from values.yaml when
    /// the model has no generator) and read back with <c>lookup</c> on every upgrade, kept on uninstall because the
    /// data in the volumes was written with them. A parameter used URI-encoded gets an encoded copy beside it.
    /// Plain parameters: a ConfigMap from values.yaml.
    /// </summary>
    private void AddParameters()
    {
        var secrets = application.Parameters.Where(p => p.Secret).ToList();
        if (secrets.Count > 0)
        {
            var lines = new List<string>
            {
                "{{- /* Generated once: an upgrade reads the values back, so passwords never change under the data. */}}",
                $"{{{{- $existing := (lookup \"v1\" \"Secret\" .Release.Namespace \"{ParametersName}\") | default dict }}}}",
                "{{- $data := (get $existing \"data\") | default dict }}",
            };
            for (var i = 0; i < secrets.Count; i++)
            {
                var p = secrets[i];
                var variable = $"$p{i.ToString(CultureInfo.InvariantCulture)}";
                lines.Add($"{{{{- {variable} := get $data \"{p.Name}\" }}}}");
                lines.Add($"{{{{- if not {variable} }}}}");
                if (p.Generate is { } generate)
                {
                    // Letters and digits only: what every generated parameter allows, and safe in URLs and config files.
                    lines.Add($"{{{{- {variable} = randAlphaNum {Math.Max(generate.MinLength, 16).ToString(CultureInfo.InvariantCulture)} | b64enc }}}}");
                }
                else
                {
                    var key = ValuesKey(p.Name);
                    _secrets.Add(key, string.Empty);
                    lines.Add($"{{{{- {variable} = required \"secrets.{key} is required on the first install\" .Values.secrets.{key} | b64enc }}}}");
                }

                lines.Add("{{- end }}");
            }

            lines.AddRange(
            [
                "---",
                "apiVersion: \"v1\"",
                "kind: \"Secret\"",
                "metadata:",
                $"  name: \"{ParametersName}\"",
                "  labels:",
                $"    app.kubernetes.io/name: \"{Chart}\"",
                "    app.kubernetes.io/component: \"parameters\"",
                "    app.kubernetes.io/instance: \"{{ .Release.Name }}\"",
                "  annotations:",
                "    helm.sh/resource-policy: \"keep\"",
                "type: \"Opaque\"",
                "data:",
            ]);
            for (var i = 0; i < secrets.Count; i++)
            {
                var variable = $"$p{i.ToString(CultureInfo.InvariantCulture)}";
                lines.Add($"  {secrets[i].Name}: {{{{ {variable} | quote }}}}");
                if (secrets[i].UsedUriEncoded)
                {
                    lines.Add($"  {secrets[i].Name}-uri: {{{{ {variable} | b64dec | urlquery | b64enc | quote }}}}");
                }
            }

            _files["templates/parameters/secret.yaml"] = string.Join('\n', lines) + "\n";
        }

        var plain = application.Parameters.Where(p => !p.Secret).ToList();
        if (plain.Count > 0)
        {
            var values = new YMap();
            var data = new YMap();
            foreach (var p in plain)
            {
                values.Add(p.Name, p.DefaultValue ?? string.Empty);
                data.Add(p.Name, Template($"index .Values.config.parameters \"{p.Name}\""));
                if (p.UsedUriEncoded)
                {
                    data.Add($"{p.Name}-uri", Template($"index .Values.config.parameters \"{p.Name}\" | urlquery"));
                }
            }

            _config.Add("parameters", values);
            AddFile("parameters", "config", new YMap
            {
                { "apiVersion", "v1" }, { "kind", "ConfigMap" }, { "metadata", Metadata(ParametersName, "parameters") }, { "data", data },
            });
        }
    }

    private void AddWorkload(Workload workload)
    {
        var key = ValuesKey(workload.Name);
        var container = new YMap { { "name", workload.Name } };
        if (workload.Image is { } image)
        {
            container.Add("image", image);
        }
        else
        {
            _images.Add(key, new YMap { { $"{key}_image", $"{workload.Name}:latest" } });
            container.Add("image", Template($"index .Values.parameters \"{key}\" \"{key}_image\""));
        }

        container.Add("imagePullPolicy", "IfNotPresent");
        if (workload.Entrypoint is { } entrypoint)
        {
            container.Add("command", new List<object?> { TemplateSafe(Expandable(entrypoint)) });
        }

        var env = new ContainerEnvironment(ParametersName, workload);
        if (workload.Args.Count > 0)
        {
            container.Add("args", workload.Args.Select(a => (object?)TemplateSafe(env.Compose(a))).ToList());
        }

        var config = env.ConfigMap();
        if (config.Count > 0 || workload.IsProject)
        {
            AddConfig(workload, key, config);
            container.Add("envFrom", new List<object?> { new YMap { { "configMapRef", new YMap { { "name", $"{workload.Name}-config" } } } } });
        }

        if (env.Entries.Count > 0)
        {
            container.Add("env", env.Entries);
        }

        if (workload.Ports.Count > 0)
        {
            container.Add("ports", workload.DistinctPorts.Select(p => (object?)new YMap
            {
                { "name", p.Name }, { "protocol", "TCP" }, { "containerPort", p.TargetPort },
            }).ToList());
        }

        if (Probe(workload.Readiness, initialDelay: 5, period: 10) is { } readiness)
        {
            container.Add("readinessProbe", readiness);
        }

        if (Probe(workload.Liveness, initialDelay: 15, period: 20) is { } liveness)
        {
            container.Add("livenessProbe", liveness);
        }

        var mounts = new List<object?>();
        var volumes = new List<object?>();
        var claims = new List<object?>();
        foreach (var volume in workload.Volumes)
        {
            var name = ClaimName(volume);
            mounts.Add(new YMap { { "name", name }, { "mountPath", volume.Target }, { "readOnly", volume.ReadOnly } });
            claims.Add(Claim(name));
        }

        if (workload.Files.Count > 0)
        {
            AddFiles(workload);
            foreach (var (folder, index) in workload.Files.Select(f => f.Directory).Distinct().Select((d, i) => (d, i)))
            {
                var name = $"files-{index.ToString(CultureInfo.InvariantCulture)}";
                mounts.Add(new YMap { { "name", name }, { "mountPath", folder }, { "readOnly", true } });
                volumes.Add(new YMap
                {
                    { "name", name },
                    {
                        "configMap", new YMap
                        {
                            { "name", $"{workload.Name}-files" },
                            { "items", workload.Files.Where(f => f.Directory == folder).Select(f => (object?)new YMap { { "key", f.FileName }, { "path", f.FileName } }).ToList() },
                        }
                    },
                });
            }
        }

        if (mounts.Count > 0)
        {
            container.Add("volumeMounts", mounts);
        }

        var pod = new YMap { { "containers", new List<object?> { container } } };
        if (volumes.Count > 0)
        {
            pod.Add("volumes", volumes);
        }

        if (workload.IsProject && workload.Volumes.Count > 0)
        {
            pod.Add("securityContext", new YMap { { "fsGroup", Workload.ProjectUserId }, { "fsGroupChangePolicy", "OnRootMismatch" } });
        }

        // A container is infrastructure with an identity (Redis node, Sentinel, PostgreSQL); a project with a volume
        // keeps it across restarts and rescheduling (Bets.Api's SQLite): both are StatefulSets.
        if (!workload.IsProject || workload.Volumes.Count > 0)
        {
            AddFile(workload.Name, "statefulset", StatefulSet(workload, pod, claims));
        }
        else
        {
            AddFile(workload.Name, "deployment", Deployment(workload, pod));
        }

        if (workload.Ports.Count > 0)
        {
            AddFile(workload.Name, "service", Service(workload));
        }

        if (workload.Ports.FirstOrDefault(p => p.IsExternal && p.Scheme == "http") is { } external)
        {
            AddIngress(workload, external);
        }
    }

    /// <summary>
    /// The plain part of the environment in values.yaml (overridable) and a ConfigMap that reads it; for projects the
    /// OTLP endpoint when values.yaml names one.
    /// </summary>
    private void AddConfig(Workload workload, string key, IReadOnlyList<KeyValuePair<string, string>> config)
    {
        var values = new YMap();
        var data = new YMap();
        foreach (var (name, value) in config)
        {
            values.Add(name, value);
            data.Add(name, Template($"index .Values.config \"{key}\" \"{name}\""));
        }

        if (workload.IsProject)
        {
            data.AddRaw("{{- with .Values.otlp.endpoint }}");
            data.AddRaw("OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}");
            data.AddRaw("OTEL_EXPORTER_OTLP_PROTOCOL: {{ $.Values.otlp.protocol | quote }}");
            data.AddRaw("{{- end }}");
        }

        _config.Add(key, values);
        AddFile(workload.Name, "config", new YMap
        {
            { "apiVersion", "v1" }, { "kind", "ConfigMap" }, { "metadata", Metadata($"{workload.Name}-config", workload.Name) }, { "data", data },
        });
    }

    private void AddFiles(Workload workload)
    {
        var data = new YMap();
        foreach (var file in workload.Files)
        {
            data.Add(file.FileName, TemplateSafe(file.Content));
        }

        AddFile(workload.Name, "files", new YMap
        {
            { "apiVersion", "v1" }, { "kind", "ConfigMap" }, { "metadata", Metadata($"{workload.Name}-files", workload.Name) }, { "data", data },
        });
    }

    /// <summary>A claim per volume, named after its mount path so that it stays the same across publishes.</summary>
    private static string ClaimName(PublishedVolume volume) => VolumeNames.FromTarget(volume.Target);

    private static YMap Claim(string name)
    {
        var spec = new YMap
        {
            { "accessModes", new List<object?> { "ReadWriteOnce" } },
            { "resources", new YMap { { "requests", new YMap { { "storage", new YRaw("{{ .Values.storage.size | quote }}") } } } } },
        };
        spec.AddRaw("{{- with .Values.storage.className }}");
        spec.AddRaw("storageClassName: {{ . | quote }}");
        spec.AddRaw("{{- end }}");
        return new YMap { { "metadata", new YMap { { "name", name } } }, { "spec", spec } };
    }

    private YMap Selector(string component) => new() { { "matchLabels", Labels(component) } };

    private YMap PodTemplate(Workload workload, YMap pod) => new() { { "metadata", new YMap { { "labels", Labels(workload.Name) } } }, { "spec", pod } };

    private YMap StatefulSet(Workload workload, YMap pod, List<object?> claims)
    {
        var spec = new YMap
        {
            { "serviceName", workload.Name },
            { "replicas", workload.Replicas },
            // Pods start and restart independently: one unready pod must not hold back the others.
            { "podManagementPolicy", "Parallel" },
            { "selector", Selector(workload.Name) },
            { "template", PodTemplate(workload, pod) },
            { "updateStrategy", new YMap { { "type", "RollingUpdate" } } },
        };
        if (claims.Count > 0)
        {
            spec.Add("volumeClaimTemplates", claims);
        }

        return new YMap { { "apiVersion", "apps/v1" }, { "kind", "StatefulSet" }, { "metadata", Metadata(workload.Name, workload.Name) }, { "spec", spec } };
    }

    private YMap Deployment(Workload workload, YMap pod) => new()
    {
        { "apiVersion", "apps/v1" }, { "kind", "Deployment" }, { "metadata", Metadata(workload.Name, workload.Name) },
        {
            "spec", new YMap
            {
                { "replicas", workload.Replicas },
                { "selector", Selector(workload.Name) },
                { "template", PodTemplate(workload, pod) },
                { "revisionHistoryLimit", 3 },
                { "strategy", new YMap { { "type", "RollingUpdate" }, { "rollingUpdate", new YMap { { "maxSurge", 1 }, { "maxUnavailable", 0 } } } } },
            }
        },
    };

    /// <summary>
    /// The Service every other workload reaches this one by, named as the resource is. Infrastructure containers are
    /// reachable before they are ready (a replica must reach its master, a Sentinel every node, while they start);
    /// a project with replicas keeps a client on one pod (SignalR's negotiate, then its connection).
    /// </summary>
    private YMap Service(Workload workload)
    {
        var spec = new YMap { { "type", "ClusterIP" }, { "selector", Labels(workload.Name) } };
        if (!workload.IsProject)
        {
            spec.Add("publishNotReadyAddresses", true);
        }

        if (workload.Replicas > 1)
        {
            spec.Add("sessionAffinity", "ClientIP");
        }

        spec.Add("ports", workload.DistinctPorts.Select(p => (object?)new YMap
        {
            { "name", p.Name }, { "protocol", "TCP" }, { "port", p.TargetPort }, { "targetPort", p.Name },
        }).ToList());
        return new YMap { { "apiVersion", "v1" }, { "kind", "Service" }, { "metadata", Metadata(workload.Name, workload.Name) }, { "spec", spec } };
    }

    private static YMap? Probe(Probe? probe, int initialDelay, int period)
    {
        (string Key, YMap Action)? action = probe switch
        {
            null => null,
            HttpProbe http => ("httpGet", new YMap { { "path", http.Path }, { "port", http.Port.Name } }),
            CommandProbe command => ("exec", new YMap { { "command", new List<object?> { "/bin/sh", "-c", TemplateSafe(command.Command) } } }),
            TcpProbe tcp => ("tcpSocket", new YMap { { "port", tcp.Port.Name } }),
            _ => throw new InvalidOperationException($"Unknown probe {probe.GetType().Name}."),
        };
        return action is not { } a ? null : new YMap
        {
            { a.Key, a.Action },
            { "initialDelaySeconds", initialDelay },
            { "periodSeconds", period },
            { "timeoutSeconds", 5 },
        };
    }

    /// <summary>
    /// The Ingress of an external HTTP endpoint. WebSockets (SignalR, the price stream) stay open long: the proxy
    /// timeouts are an hour, and with several replicas a cookie keeps a browser on one pod.
    /// </summary>
    private void AddIngress(Workload workload, PublishedPort port)
    {
        var key = ValuesKey(workload.Name);
        _hosts.Add(key, string.Empty);
        var lines = new List<string>
        {
            "{{- if .Values.ingress.enabled }}",
            "---",
            "apiVersion: \"networking.k8s.io/v1\"",
            "kind: \"Ingress\"",
            "metadata:",
            $"  name: \"{workload.Name}\"",
            "  labels:",
            $"    app.kubernetes.io/name: \"{Chart}\"",
            $"    app.kubernetes.io/component: \"{workload.Name}\"",
            "    app.kubernetes.io/instance: \"{{ .Release.Name }}\"",
            "  annotations:",
            "    nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600\"",
            "    nginx.ingress.kubernetes.io/proxy-send-timeout: \"3600\"",
        };
        if (workload.Replicas > 1)
        {
            lines.Add("    nginx.ingress.kubernetes.io/affinity: \"cookie\"");
        }

        lines.AddRange(
        [
            "spec:",
            "  {{- with .Values.ingress.className }}",
            "  ingressClassName: {{ . | quote }}",
            "  {{- end }}",
            "  rules:",
            $"    - {{{{- with index .Values.ingress.hosts \"{key}\" }}}}",
            "      host: {{ . | quote }}",
            "      {{- end }}",
            "      http:",
            "        paths:",
            "          - path: \"/\"",
            "            pathType: \"Prefix\"",
            "            backend:",
            "              service:",
            $"                name: \"{workload.Name}\"",
            "                port:",
            $"                  name: \"{port.Name}\"",
            "{{- end }}",
        ]);
        _files[$"templates/{workload.Name}/ingress.yaml"] = string.Join('\n', lines) + "\n";
    }
}
