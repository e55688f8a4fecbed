import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppI18n } from './i18n';
import { api, bridgeClient } from './api';
import { setTransport } from './stores/transport';
import { useSessionStore } from './stores/session';
import { reportActivity } from './util/activity';
import './styles.css';

setTransport(api, bridgeClient);
const pinia = createPinia();
createApp(App).use(pinia).use(createAppI18n()).mount('#app');
reportActivity(() => api.invoke('app.activity', {}), window);

// Signed in again after a refusal (a new token address opened in this tab): load everything afresh.
let refused = false;
bridgeClient?.onState((state) => {
  if (state === 'unauthorized') refused = true;
  if (state === 'open' && refused) {
    refused = false;
    void useSessionStore(pinia).init();
  }
});
