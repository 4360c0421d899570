using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing;

/// <summary>Projects: Deployments (StatefulSets when they keep data), their config, Service and Ingress.</summary>
internal sealed partial class HelmChart
{
    private void AddProject(ProjectResource project)
    {
        var key = PublishContext.ValuesKey(project.Name);
        _parameterValues.Add(key, new YMap { { $"{key}_image", context.ProjectImage(project) } });

        // Plain values go through values.yaml and the ConfigMap; values built from parameters are env entries
        // expanded by the kubelet from the parameter variables declared before them.
        var config = new YMap();
        var configData = new YMap();
        var parameterEnv = new List<object?> { FieldEnv("POD_NAME", "metadata.name") };
        var composedEnv = new List<object?>();
        var declared = new HashSet<ParameterResource>();
        void Plain(string name, string value)
        {
            config.Add(name, value);
            configData.Add(name, new YRaw($"{{{{ index .Values.config \"{key}\" \"{name}\" | quote }}}}"));
        }

        foreach (var (name, value) in context.Environment(project).Append(new("OTEL_SERVICE_NAME", project.Name)))
        {
            var renderer = new HelmValueRenderer(context, forEnv: true);
            var text = renderer.Render(value);
            if (renderer.UsedParameters.Count == 0)
            {
                Plain(name, new HelmValueRenderer(context, forEnv: false).Render(value));
                continue;
            }

            foreach (var p in renderer.UsedParameters.Where(declared.Add))
            {
                parameterEnv.Add(ParameterEnv(p));
            }

            composedEnv.Add(new YMap { { "name", name }, { "value", TemplateSafe(text) } });
        }

        composedEnv.Add(Env("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=$(POD_NAME)"));
        configData.AddRaw("{{- with .Values.otlp.endpoint }}");
        configData.AddRaw("OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}");
        configData.AddRaw("OTEL_EXPORTER_OTLP_PROTOCOL: {{ $.Values.otlp.protocol | quote }}");
        configData.AddRaw("{{- end }}");
        _configValues.Add(key, config);
        AddFile(project.Name, "config", new YMap
        {
            { "apiVersion", "v1" }, { "kind", "ConfigMap" }, { "metadata", Metadata($"{project.Name}-config", project.Name) }, { "data", configData },
        });

        var endpoints = PublishContext.Endpoints(project).ToList();
        var http = endpoints.FirstOrDefault(e => e.Transport == "http");
        var container = new YMap
        {
            { "image", new YRaw($"{{{{ index .Values.parameters \"{key}\" \"{key}_image\" | quote }}}}") },
            { "name", project.Name },
            { "envFrom", new List<object?> { new YMap { { "configMapRef", new YMap { { "name", $"{project.Name}-config" } } } } } },
            { "env", parameterEnv.Concat(composedEnv).ToList() },
        };
        var args = PublishContext.Args(project).Select(a => new HelmValueRenderer(context, forEnv: true).Render(a)).ToList();
        if (args.Count > 0)
        {
            container.Add("args", args.Select(a => (object?)TemplateSafe(a)).ToList());
        }

        if (endpoints.Count > 0)
        {
            container.Add("ports", endpoints.Select(e => (object?)Port(e.Name, context.TargetPort(e))).ToList());
        }

        if (http is not null)
        {
            container.Add("readinessProbe", HttpProbe(PublishContext.ReadinessPath(project), http.Name, 5, 10));
            container.Add("livenessProbe", HttpProbe(PublishContext.LivenessPath, http.Name, 15, 20));
        }

        var volume = PublishContext.DataVolume(project);
        if (volume is not null)
        {
            container.Add("volumeMounts", new List<object?> { Mount("data", volume.TargetPath) });
        }

        container.Add("imagePullPolicy", "IfNotPresent");
        if (volume is not null)
        {
            // Data on a volume (SQLite): a StatefulSet, so the pod keeps its claim across restarts and rescheduling.
            AddFile(project.Name, "statefulset", StatefulSet(project.Name, project.Replicas, $"{project.Name}-service", container, [], Storage("data")));
        }
        else
        {
            AddFile(project.Name, "deployment", Deployment(project.Name, project.Replicas, container));
        }

        if (endpoints.Count > 0)
        {
            AddFile(project.Name, "service", Service(project.Name, endpoints.Select(e => (e.Name, context.TargetPort(e))), affinity: project.Replicas > 1));
        }

        if (http is not null && http.IsExternal)
        {
            AddIngress(project, http);
        }
    }

    private YMap Deployment(string component, int replicas, YMap container)
    {
        var pod = new YMap { { "containers", new List<object?> { container } } };
        if (replicas > 1)
        {
            pod.Add("affinity", SpreadAcrossNodes(component));
        }

        return new YMap
        {
            { "apiVersion", "apps/v1" }, { "kind", "Deployment" }, { "metadata", Metadata($"{component}-deployment", component) },
            {
                "spec", new YMap
                {
                    { "template", new YMap { { "metadata", new YMap { { "labels", Labels(component) } } }, { "spec", pod } } },
                    { "selector", new YMap { { "matchLabels", Labels(component) } } },
                    { "replicas", replicas },
                    { "revisionHistoryLimit", 3 },
                    { "strategy", new YMap { { "rollingUpdate", new YMap { { "maxSurge", 1 }, { "maxUnavailable", 0 } } }, { "type", "RollingUpdate" } } },
                }
            },
        };
    }

    private static YMap HttpProbe(string path, string port, int initialDelay, int period) => new()
    {
        { "httpGet", new YMap { { "path", path }, { "port", port } } },
        { "initialDelaySeconds", initialDelay },
        { "periodSeconds", period },
        { "timeoutSeconds", 5 },
    };

    /// <summary>
    /// The Ingress of an external endpoint. WebSockets (SignalR, the price stream) stay open for long: the proxy timeouts
    /// are an hour, and with several replicas a cookie keeps a browser on one pod (negotiate, then connect).
    /// </summary>
    private void AddIngress(ProjectResource project, EndpointAnnotation http)
    {
        var key = PublishContext.ValuesKey(project.Name);
        var lines = new List<string>
        {
            "{{- if .Values.ingress.enabled }}",
            "---",
            "apiVersion: \"networking.k8s.io/v1\"",
            "kind: \"Ingress\"",
            "metadata:",
            $"  name: \"{project.Name}-ingress\"",
            "  labels:",
            $"    app.kubernetes.io/name: \"{Chart}\"",
            $"    app.kubernetes.io/component: \"{project.Name}\"",
            "    app.kubernetes.io/instance: \"{{ .Release.Name }}\"",
            "  annotations:",
            "    nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600\"",
            "    nginx.ingress.kubernetes.io/proxy-send-timeout: \"3600\"",
        };
        if (project.Replicas > 1)
        {
            lines.Add("    nginx.ingress.kubernetes.io/affinity: \"cookie\"");
            lines.Add($"    nginx.ingress.kubernetes.io/session-cookie-name: \"{project.Name}-affinity\"");
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
            $"                name: \"{project.Name}-service\"",
            "                port:",
            $"                  name: \"{http.Name}\"",
            "{{- end }}",
        ]);
        _files[$"templates/{project.Name}/ingress.yaml"] = string.Join('\n', lines) + "\n";
    }
}
