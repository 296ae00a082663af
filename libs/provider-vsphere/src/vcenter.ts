import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudApiObserver } from '@peerpods/providers';
import { SoapClient, SoapFault } from './soap-client';
import { child, list, type MoRef, moRef, moRefOf, textOf, type XmlValue, xmlText, xsiType } from './soap-xml';
import { type VcenterTrust, vcenterAgent } from './tls-pinning';

export interface VcenterLogin {
  /** The SDK endpoint, `https://host/sdk`. */
  url: URL;
  username: string;
  password: string;
  trust: VcenterTrust;
  log: (message: string) => void;
  /** Told of each SOAP call (metrics). */
  apiCalls?: CloudApiObserver;
}

interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  searchIndex: MoRef;
  sessionManager: MoRef;
  viewManager: MoRef;
}

/** Properties of one managed object, by property path. */
export type Properties = Record<string, XmlValue>;

const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };
const TASK_POLL_MS = 250;

/**
 * A logged-in vCenter session and the few vim25 calls the provider makes. A call that meets
 * NotAuthenticated (the session expired or was terminated) logs in again and is sent once more:
 * such a call never ran, so repeating it is safe.
 */
export class Vcenter {
  #relogin: Promise<void> | undefined;

  private constructor(
    private readonly soap: SoapClient,
    private readonly login: VcenterLogin,
    private readonly content: ServiceContent,
  ) {}

  static async connect(login: VcenterLogin): Promise<Vcenter> {
    const soap = new SoapClient(
      login.url,
      login.url.protocol === 'https:' ? vcenterAgent(login.trust) : undefined,
      login.apiCalls,
    );
    const returned = await soap.call('RetrieveServiceContent', SERVICE_INSTANCE).catch((error: unknown) => {
      throw new Error(
        `Error creating vcenter session for user ${login.username}: error ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    });
    const ref = (name: string) => {
      const found = moRefOf(child(returned, name));
      if (!found) throw new Error(`vCenter's service content has no ${name}`);
      return found;
    };
    const content: ServiceContent = {
      rootFolder: ref('rootFolder'),
      propertyCollector: ref('propertyCollector'),
      searchIndex: ref('searchIndex'),
      sessionManager: ref('sessionManager'),
      viewManager: ref('viewManager'),
    };
    const vcenter = new Vcenter(soap, login, content);
    await vcenter.#logIn();
    login.log(`Created session for user ${login.username}`);
    return vcenter;
  }

  get rootFolder(): MoRef {
    return this.content.rootFolder;
  }

  async #logIn(): Promise<void> {
    this.soap.dropSession();
    await this.soap
      .call(
        'Login',
        this.content.sessionManager,
        `<userName>${xmlText(this.login.username)}</userName><password>${xmlText(this.login.password)}</password>`,
      )
      .catch((error: unknown) => {
        // The password never goes into the message.
        throw new Error(`Error logging in user ${this.login.username}: error ${(error as Error).message}`, {
          cause: error,
        });
      });
  }

  #invoke(method: string, self: MoRef, body = '', signal?: AbortSignal): Promise<XmlValue | undefined> {
    return this.#withSession(() => this.soap.call(method, self, body, signal));
  }

  /** Runs `attempt`; when it meets NotAuthenticated, logs in again and runs it once more. */
  async #withSession<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof SoapFault) || error.faultType !== 'NotAuthenticated') throw error;
      await this.#renewSession(error);
      return attempt();
    }
  }

  /** One Login for all the calls that found the session gone at once. */
  async #renewSession(cause: Error): Promise<void> {
    this.#relogin ??= (async () => {
      this.login.log(
        `Creating new session for user ${this.login.username} due to current session error: ${cause.message}`,
      );
      await this.#logIn();
      this.login.log(`Created new session for user ${this.login.username}`);
    })().finally(() => {
      this.#relogin = undefined;
    });
    await this.#relogin;
  }

  /** Terminates every session but this one (an administrator's action; tests use it as an expiry). */
  async terminateOtherSessions(): Promise<number> {
    const props = await this.properties(this.content.sessionManager, ['sessionList', 'currentSession']);
    const own = textOf(child(props.currentSession, 'key'));
    const others = list(child(props.sessionList, 'UserSession'))
      .map((session) => textOf(child(session, 'key')))
      .filter((key) => key && key !== own);
    if (others.length > 0) {
      await this.#invoke(
        'TerminateSession',
        this.content.sessionManager,
        others.map((key) => `<sessionId>${xmlText(key)}</sessionId>`).join(''),
      );
    }
    return others.length;
  }

  async logout(): Promise<void> {
    await this.soap.call('Logout', this.content.sessionManager).catch(() => {});
    this.soap.dropSession();
  }

  async findByInventoryPath(path: string, signal?: AbortSignal): Promise<MoRef | undefined> {
    const found = await this.#invoke(
      'FindByInventoryPath',
      this.content.searchIndex,
      `<inventoryPath>${xmlText(path)}</inventoryPath>`,
      signal,
    );
    return moRefOf(found);
  }

  /** The VM with this BIOS UUID (`config.uuid`) in the datacenter, if any. */
  async findByUuid(datacenter: MoRef, uuid: string, signal?: AbortSignal): Promise<MoRef | undefined> {
    const found = await this.#invoke(
      'FindByUuid',
      this.content.searchIndex,
      `${moRef('datacenter', datacenter)}<uuid>${xmlText(uuid)}</uuid><vmSearch>true</vmSearch>`,
      signal,
    );
    return moRefOf(found);
  }

  async createFolder(parent: MoRef, name: string, signal?: AbortSignal): Promise<MoRef> {
    const created = moRefOf(
      await this.#invoke('CreateFolder', parent, `<name>${xmlText(name)}</name>`, signal),
    );
    if (!created) throw new Error(`CreateFolder ${name} returned no folder`);
    return created;
  }

  /**
   * Clones the VM at `sourcePath` into a template named `name` in `folderPath`, its pool at
   * `poolPath` (an operator's step before the provider can run; tests and demos make theirs so).
   */
  async cloneAsTemplate(
    sourcePath: string,
    folderPath: string,
    poolPath: string,
    name: string,
  ): Promise<void> {
    const [source, folder, pool] = await Promise.all(
      [sourcePath, folderPath, poolPath].map((path) => this.findByInventoryPath(path)),
    );
    if (!source || !folder || !pool) {
      throw new Error(
        `cloneAsTemplate: ${[sourcePath, folderPath, poolPath].filter((_, i) => ![source, folder, pool][i]).join(', ')} not found`,
      );
    }
    await this.runTask(
      'CloneVM_Task',
      source,
      `${moRef('folder', folder)}<name>${xmlText(name)}</name><spec><location>${moRef('pool', pool)}</location><template>true</template><powerOn>false</powerOn></spec>`,
    );
  }

  /** Starts a task-returning method and waits for its end; returns `info.result`. */
  async runTask(
    method: string,
    self: MoRef,
    body: string,
    signal?: AbortSignal,
  ): Promise<XmlValue | undefined> {
    const task = moRefOf(await this.#invoke(method, self, body, signal));
    if (!task) throw new Error(`${method} returned no task`);
    for (;;) {
      const info = (await this.properties(task, ['info'], signal)).info;
      const state = textOf(child(info, 'state'));
      if (state === 'success') return child(info, 'result');
      if (state === 'error') {
        const fault = child(info, 'error');
        const type = xsiType(child(fault, 'fault'));
        throw new SoapFault(type, textOf(child(fault, 'localizedMessage')) || type);
      }
      await sleep(TASK_POLL_MS, undefined, { signal });
    }
  }

  /** The properties of one object; a path the object lacks is left out. */
  async properties(obj: MoRef, paths: readonly string[], signal?: AbortSignal): Promise<Properties> {
    const spec =
      `<specSet><propSet><type>${xmlText(obj.type)}</type>${paths.map((p) => `<pathSet>${xmlText(p)}</pathSet>`).join('')}</propSet>` +
      `<objectSet>${moRef('obj', obj)}</objectSet></specSet><options/>`;
    const [first] = await this.#retrieve(spec, signal);
    return first?.properties ?? {};
  }

  /** Every VM under the root folder with these properties (a container view, released afterwards). */
  async virtualMachines(
    paths: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ ref: MoRef; properties: Properties }[]> {
    const view = moRefOf(
      await this.#invoke(
        'CreateContainerView',
        this.content.viewManager,
        `${moRef('container', this.content.rootFolder)}<type>VirtualMachine</type><recursive>true</recursive>`,
        signal,
      ),
    );
    if (!view) throw new Error('CreateContainerView returned no view');
    try {
      const spec =
        `<specSet><propSet><type>VirtualMachine</type>${paths.map((p) => `<pathSet>${xmlText(p)}</pathSet>`).join('')}</propSet>` +
        `<objectSet>${moRef('obj', view)}<skip>true</skip><selectSet xsi:type="TraversalSpec"><type>ContainerView</type><path>view</path><skip>false</skip></selectSet></objectSet></specSet><options/>`;
      return await this.#retrieve(spec, signal);
    } finally {
      await this.soap.call('DestroyView', view).catch(() => {});
    }
  }

  #retrieve(specSet: string, signal?: AbortSignal): Promise<{ ref: MoRef; properties: Properties }[]> {
    return this.#withSession(() => this.#retrieveOnce(specSet, signal));
  }

  async #retrieveOnce(
    specSet: string,
    signal?: AbortSignal,
  ): Promise<{ ref: MoRef; properties: Properties }[]> {
    const returned = await this.soap.call(
      'RetrievePropertiesEx',
      this.content.propertyCollector,
      specSet,
      signal,
    );
    const results: { ref: MoRef; properties: Properties }[] = [];
    for (const object of list(child(returned, 'objects'))) {
      const ref = moRefOf(child(object, 'obj'));
      if (!ref) continue;
      // vcsim answers some reads without a session with per-property NotAuthenticated instead of a fault.
      for (const missing of list(child(object, 'missingSet'))) {
        const type = xsiType(child(missing, 'fault')) || xsiType(child(child(missing, 'fault'), 'fault'));
        if (type === 'NotAuthenticated')
          throw new SoapFault('NotAuthenticated', 'the session is not authenticated');
      }
      const properties: Properties = {};
      for (const property of list(child(object, 'propSet'))) {
        const value = child(property, 'val');
        if (value !== undefined) properties[textOf(child(property, 'name'))] = value;
      }
      results.push({ ref, properties });
    }
    return results;
  }
}
