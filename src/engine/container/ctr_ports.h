/* A container's published ports (ctr_ports.c): what the monitor sets up
   after connecting the container to its network (network/ports.h), and
   how `kago port` and `kago ps` show them.  */
#ifndef KAGO_ENGINE_CTR_PORTS_H
#define KAGO_ENGINE_CTR_PORTS_H

#include <stddef.h>

#include "common/error.h"
#include "common/json.h"
#include "engine/container/container.h"

/* The sockets that hold the host ports while the container runs.  */
struct kago_ctr_ports
{
  int *fds;
  size_t n;
};

/* Publish container ID's ports: HostConfig.PortBindings, and with
   PublishAllPorts every port of Config.ExposedPorts without a binding,
   random host ports from ip_local_port_range.  Each host port is bound
   (HELD keeps the sockets), then DNATed to the container's address on the
   network (NetworkSettings.IPAddress, set by kago_ctr_net_attach); then
   NetworkSettings.Ports.  A failure leaves nothing.  */
int kago_ctr_ports_attach (struct kago_engine *e, const char *id, struct kago_ctr_ports *held,
                           kago_error_t *err);

/* Undo attach (HELD may be NULL: a container whose monitor died): the
   DNAT elements listed for ID and the sockets.  Never fails.  */
void kago_ctr_ports_detach (struct kago_engine *e, const char *id, struct kago_ctr_ports *held);

/* Drop the DNAT elements of containers whose record is gone.  */
void kago_ctr_ports_cleanup (struct kago_engine *e);

/* One line per published port of NetworkSettings.Ports PORTS, as `docker
   port` prints them: "80/tcp -> 0.0.0.0:8080"; with FILTER ("80",
   "80/udp") only that port's "0.0.0.0:8080" lines.  NULL when there is
   none.  The caller frees.  */
char *kago_ctr_ports_lines (const json_value *ports, const char *filter);

/* `docker ps`' PORTS column: "0.0.0.0:8080->80/tcp, 443/tcp".  */
char *kago_ctr_ports_summary (const json_value *ports);

#endif
